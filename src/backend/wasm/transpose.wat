;; B = A transposed: A, a rows x columns float32 matrix at byte offset $from of the wasm backend's heap
;; (its memory is imported), written as columns x rows at $to. Values are only moved, never changed.
;; Pointers are byte offsets, unsigned.
;;
;; Where both sizes are multiples of 4, in 4 x 4 blocks: four rows of A loaded as SIMD vectors, turned
;; by shuffles, stored as four rows of B; the blocks go down bands of 64 columns, so that the cache
;; lines being filled in the band's 64 rows of B (4 KB, each filled over four passes) stay in the
;; first-level cache while the rows of A pass. Other sizes one value at a time.
(module
  (import "env" "memory" @MEMORY@)

  (func (export "transpose") (param $from i32) (param $to i32) (param $rows i32) (param $columns i32)
    (local $i i32) (local $j i32) (local $band i32) (local $bandEnd i32)
    (local $p i32) (local $q i32) (local $rowA i32) (local $rowB i32)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $rowA (i32.shl (local.get $columns) (i32.const 2)))
    (local.set $rowB (i32.shl (local.get $rows) (i32.const 2)))
    (if (i32.and (i32.or (local.get $rows) (local.get $columns)) (i32.const 3))
      (then
        (block $done
          (loop $rowsOfA
            (br_if $done (i32.ge_u (local.get $i) (local.get $rows)))
            (local.set $j (i32.const 0))
            (block $rowDone
              (loop $columnsOfA
                (br_if $rowDone (i32.ge_u (local.get $j) (local.get $columns)))
                (f32.store
                  (i32.add (local.get $to) (i32.shl (i32.add (i32.mul (local.get $j) (local.get $rows)) (local.get $i)) (i32.const 2)))
                  (f32.load (i32.add (local.get $from) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $columns)) (local.get $j)) (i32.const 2)))))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $columnsOfA)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $rowsOfA)))
        (return)))
    (block $bandsDone
      (loop $bands
        (br_if $bandsDone (i32.ge_u (local.get $band) (local.get $columns)))
        (local.set $bandEnd (i32.add (local.get $band) (i32.const 64)))
        (if (i32.gt_u (local.get $bandEnd) (local.get $columns)) (then (local.set $bandEnd (local.get $columns))))
        (local.set $i (i32.const 0))
        (block $blockRowsDone
          (loop $blockRows
            (br_if $blockRowsDone (i32.ge_u (local.get $i) (local.get $rows)))
            (local.set $j (local.get $band))
            (loop $blocks
              ;; A's rows i..i+3 at columns j..j+3: [a0 a1 a2 a3], [b..], [c..], [d..].
              (local.set $p (i32.add (local.get $from) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $columns)) (local.get $j)) (i32.const 2))))
              (local.set $r0 (v128.load (local.get $p)))
              (local.set $r1 (v128.load (i32.add (local.get $p) (local.get $rowA))))
              (local.set $r2 (v128.load (i32.add (local.get $p) (i32.shl (local.get $rowA) (i32.const 1)))))
              (local.set $r3 (v128.load (i32.add (local.get $p) (i32.mul (local.get $rowA) (i32.const 3)))))
              ;; [a0 b0 a1 b1], [a2 b2 a3 b3], [c0 d0 c1 d1], [c2 d2 c3 d3]
              (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
              (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
              (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
              (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
              ;; B's rows j..j+3 at columns i..i+3: [a0 b0 c0 d0], [a1 b1 c1 d1], [a2 b2 c2 d2], [a3 b3 c3 d3].
              (local.set $q (i32.add (local.get $to) (i32.shl (i32.add (i32.mul (local.get $j) (local.get $rows)) (local.get $i)) (i32.const 2))))
              (v128.store (local.get $q) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
              (v128.store (i32.add (local.get $q) (local.get $rowB)) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
              (v128.store (i32.add (local.get $q) (i32.shl (local.get $rowB) (i32.const 1))) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
              (v128.store (i32.add (local.get $q) (i32.mul (local.get $rowB) (i32.const 3))) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))
              (local.set $j (i32.add (local.get $j) (i32.const 4)))
              (br_if $blocks (i32.lt_u (local.get $j) (local.get $bandEnd))))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $blockRows)))
        (local.set $band (local.get $bandEnd))
        (br $bands)))))

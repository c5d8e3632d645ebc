;; C = A . B (+ bias) (then ReLU) for row-major float32 matrices on the wasm backend's own heap (its
;; memory is imported, so tensors are read and written where TF.js keeps them): A is m x k, B is k x n,
;; C is m x n, with n a multiple of 8 and k at least 1; bias is n values, or -1 for none; relu is 0 or 1.
;; Pointers are byte offsets into the memory, unsigned (a heap reaches 4 GiB).
;;
;; B is read where it lies, never repacked: this is for products whose B changes at every call (a
;; trained Dense layer's kernel), where XNNPACK first copies the whole of B into its own layout.
;; Each C element is one running sum over k in order from its bias (or 0), (((bias + a0 b0) + a1 b1)
;; + ...), as XNNPACK's own kernels sum, so the result is theirs bit for bit and does not depend on the
;; blocking below (ReLU is f32x4.max, which keeps a NaN that XNNPACK's would turn into 0: a sum that is
;; NaN differs, once training has diverged).
;;
;; Blocking: k in blocks of 256 rows of B (a 256 x n block of B stays in the core's second-level
;; cache while every row of A passes over it); in a block, columns in strips of 8 (a 256 x 8 strip of B,
;; 8 KB, stays in the first-level cache) and rows in tiles of 4, each tile's 4 x 8 sums held in eight
;; SIMD registers (WebAssembly SIMD has no fused multiply-add: a product, then a sum); the last m % 4
;; rows one at a time.
(module
  (import "env" "memory" @MEMORY@)

  ;; Rows i..i+3, columns j..j+7, k from k0 for kc steps: starts from C (or 0 when k0 = 0), adds, stores.
  (func $tile4 (param $a i32) (param $b i32) (param $c i32) (param $i i32) (param $j i32)
    (param $k0 i32) (param $kc i32) (param $k i32) (param $n i32) (param $bias i32) (param $relu i32)
    (local $rowA i32) (local $rowB i32) (local $pa0 i32) (local $pa1 i32) (local $pa2 i32) (local $pa3 i32)
    (local $pb i32) (local $pc i32) (local $end i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $b0 v128) (local $b1 v128) (local $s v128)
    (local.set $rowA (i32.shl (local.get $k) (i32.const 2)))
    (local.set $rowB (i32.shl (local.get $n) (i32.const 2)))
    (local.set $pa0 (i32.add (local.get $a)
      (i32.shl (i32.add (i32.mul (local.get $i) (local.get $k)) (local.get $k0)) (i32.const 2))))
    (local.set $pa1 (i32.add (local.get $pa0) (local.get $rowA)))
    (local.set $pa2 (i32.add (local.get $pa1) (local.get $rowA)))
    (local.set $pa3 (i32.add (local.get $pa2) (local.get $rowA)))
    (local.set $pb (i32.add (local.get $b)
      (i32.shl (i32.add (i32.mul (local.get $k0) (local.get $n)) (local.get $j)) (i32.const 2))))
    (local.set $pc (i32.add (local.get $c)
      (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 2))))
    (if (local.get $k0)
      (then
        (local.set $c00 (v128.load (local.get $pc)))
        (local.set $c01 (v128.load offset=16 (local.get $pc)))
        (local.set $c10 (v128.load (i32.add (local.get $pc) (local.get $rowB))))
        (local.set $c11 (v128.load offset=16 (i32.add (local.get $pc) (local.get $rowB))))
        (local.set $c20 (v128.load (i32.add (local.get $pc) (i32.shl (local.get $rowB) (i32.const 1)))))
        (local.set $c21 (v128.load offset=16 (i32.add (local.get $pc) (i32.shl (local.get $rowB) (i32.const 1)))))
        (local.set $c30 (v128.load (i32.add (local.get $pc) (i32.mul (local.get $rowB) (i32.const 3)))))
        (local.set $c31 (v128.load offset=16 (i32.add (local.get $pc) (i32.mul (local.get $rowB) (i32.const 3))))))
      (else
        (if (i32.ne (local.get $bias) (i32.const -1))
          (then
            (local.set $c00 (v128.load (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2)))))
            (local.set $c01 (v128.load offset=16 (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2)))))
            (local.set $c10 (local.get $c00)) (local.set $c11 (local.get $c01))
            (local.set $c20 (local.get $c00)) (local.set $c21 (local.get $c01))
            (local.set $c30 (local.get $c00)) (local.set $c31 (local.get $c01))))))
    (local.set $end (i32.add (local.get $pa0) (i32.shl (local.get $kc) (i32.const 2))))
    (loop $steps
      (local.set $b0 (v128.load (local.get $pb)))
      (local.set $b1 (v128.load offset=16 (local.get $pb)))
      (local.set $s (v128.load32_splat (local.get $pa0)))
      (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $s) (local.get $b0))))
      (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $s) (local.get $b1))))
      (local.set $s (v128.load32_splat (local.get $pa1)))
      (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $s) (local.get $b0))))
      (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $s) (local.get $b1))))
      (local.set $s (v128.load32_splat (local.get $pa2)))
      (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $s) (local.get $b0))))
      (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $s) (local.get $b1))))
      (local.set $s (v128.load32_splat (local.get $pa3)))
      (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $s) (local.get $b0))))
      (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $s) (local.get $b1))))
      (local.set $pa0 (i32.add (local.get $pa0) (i32.const 4)))
      (local.set $pa1 (i32.add (local.get $pa1) (i32.const 4)))
      (local.set $pa2 (i32.add (local.get $pa2) (i32.const 4)))
      (local.set $pa3 (i32.add (local.get $pa3) (i32.const 4)))
      (local.set $pb (i32.add (local.get $pb) (local.get $rowB)))
      (br_if $steps (i32.lt_u (local.get $pa0) (local.get $end))))
    (if (local.get $relu)
      (then
        (local.set $s (f32x4.splat (f32.const 0)))
        (local.set $c00 (f32x4.max (local.get $c00) (local.get $s)))
        (local.set $c01 (f32x4.max (local.get $c01) (local.get $s)))
        (local.set $c10 (f32x4.max (local.get $c10) (local.get $s)))
        (local.set $c11 (f32x4.max (local.get $c11) (local.get $s)))
        (local.set $c20 (f32x4.max (local.get $c20) (local.get $s)))
        (local.set $c21 (f32x4.max (local.get $c21) (local.get $s)))
        (local.set $c30 (f32x4.max (local.get $c30) (local.get $s)))
        (local.set $c31 (f32x4.max (local.get $c31) (local.get $s)))))
    (v128.store (local.get $pc) (local.get $c00))
    (v128.store offset=16 (local.get $pc) (local.get $c01))
    (v128.store (i32.add (local.get $pc) (local.get $rowB)) (local.get $c10))
    (v128.store offset=16 (i32.add (local.get $pc) (local.get $rowB)) (local.get $c11))
    (v128.store (i32.add (local.get $pc) (i32.shl (local.get $rowB) (i32.const 1))) (local.get $c20))
    (v128.store offset=16 (i32.add (local.get $pc) (i32.shl (local.get $rowB) (i32.const 1))) (local.get $c21))
    (v128.store (i32.add (local.get $pc) (i32.mul (local.get $rowB) (i32.const 3))) (local.get $c30))
    (v128.store offset=16 (i32.add (local.get $pc) (i32.mul (local.get $rowB) (i32.const 3))) (local.get $c31)))

  ;; Row i alone, columns j..j+7: as $tile4.
  (func $tile1 (param $a i32) (param $b i32) (param $c i32) (param $i i32) (param $j i32)
    (param $k0 i32) (param $kc i32) (param $k i32) (param $n i32) (param $bias i32) (param $relu i32)
    (local $rowB i32) (local $pa i32) (local $pb i32) (local $pc i32) (local $end i32)
    (local $c0 v128) (local $c1 v128) (local $s v128)
    (local.set $rowB (i32.shl (local.get $n) (i32.const 2)))
    (local.set $pa (i32.add (local.get $a)
      (i32.shl (i32.add (i32.mul (local.get $i) (local.get $k)) (local.get $k0)) (i32.const 2))))
    (local.set $pb (i32.add (local.get $b)
      (i32.shl (i32.add (i32.mul (local.get $k0) (local.get $n)) (local.get $j)) (i32.const 2))))
    (local.set $pc (i32.add (local.get $c)
      (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 2))))
    (if (local.get $k0)
      (then
        (local.set $c0 (v128.load (local.get $pc)))
        (local.set $c1 (v128.load offset=16 (local.get $pc))))
      (else
        (if (i32.ne (local.get $bias) (i32.const -1))
          (then
            (local.set $c0 (v128.load (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2)))))
            (local.set $c1 (v128.load offset=16 (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2)))))))))
    (local.set $end (i32.add (local.get $pa) (i32.shl (local.get $kc) (i32.const 2))))
    (loop $steps
      (local.set $s (v128.load32_splat (local.get $pa)))
      (local.set $c0 (f32x4.add (local.get $c0) (f32x4.mul (local.get $s) (v128.load (local.get $pb)))))
      (local.set $c1 (f32x4.add (local.get $c1) (f32x4.mul (local.get $s) (v128.load offset=16 (local.get $pb)))))
      (local.set $pa (i32.add (local.get $pa) (i32.const 4)))
      (local.set $pb (i32.add (local.get $pb) (local.get $rowB)))
      (br_if $steps (i32.lt_u (local.get $pa) (local.get $end))))
    (if (local.get $relu)
      (then
        (local.set $s (f32x4.splat (f32.const 0)))
        (local.set $c0 (f32x4.max (local.get $c0) (local.get $s)))
        (local.set $c1 (f32x4.max (local.get $c1) (local.get $s)))))
    (v128.store (local.get $pc) (local.get $c0))
    (v128.store offset=16 (local.get $pc) (local.get $c1)))

  ;; Rows i0..i1 - 1 and columns j0..j1 - 1 of C (j0 and j1 multiples of 8, i0 < i1, j0 < j1): a
  ;; thread's share of the product, or the whole of it. Every element is summed the same way whoever
  ;; computes it, so any split gives the same C.
  (func (export "matmul") (param $a i32) (param $b i32) (param $c i32) (param $k i32) (param $n i32)
    (param $bias i32) (param $relu i32) (param $i0 i32) (param $i1 i32) (param $j0 i32) (param $j1 i32)
    (local $k0 i32) (local $kc i32) (local $block i32) (local $i i32) (local $j i32) (local $last i32)
    ;; Rows of B per block: a block of 128 KB, 8 to 256 rows.
    (local.set $block (i32.div_u (i32.const 32768) (local.get $n)))
    (if (i32.gt_u (local.get $block) (i32.const 256)) (then (local.set $block (i32.const 256))))
    (if (i32.lt_u (local.get $block) (i32.const 8)) (then (local.set $block (i32.const 8))))
    (loop $blocks
      (local.set $kc (i32.sub (local.get $k) (local.get $k0)))
      (if (i32.gt_u (local.get $kc) (local.get $block)) (then (local.set $kc (local.get $block))))
      (local.set $last (i32.and (local.get $relu) (i32.eq (i32.add (local.get $k0) (local.get $kc)) (local.get $k))))
      (local.set $i (local.get $i0))
      (block $tilesDone
        (loop $tiles
          (br_if $tilesDone (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $i1)))
          (local.set $j (local.get $j0))
          (loop $strips
            (call $tile4 (local.get $a) (local.get $b) (local.get $c) (local.get $i) (local.get $j)
              (local.get $k0) (local.get $kc) (local.get $k) (local.get $n) (local.get $bias) (local.get $last))
            (local.set $j (i32.add (local.get $j) (i32.const 8)))
            (br_if $strips (i32.lt_u (local.get $j) (local.get $j1))))
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br $tiles)))
      (block $rowsDone
        (loop $rows
          (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $i1)))
          (local.set $j (local.get $j0))
          (loop $strips
            (call $tile1 (local.get $a) (local.get $b) (local.get $c) (local.get $i) (local.get $j)
              (local.get $k0) (local.get $kc) (local.get $k) (local.get $n) (local.get $bias) (local.get $last))
            (local.set $j (i32.add (local.get $j) (i32.const 8)))
            (br_if $strips (i32.lt_u (local.get $j) (local.get $j1))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $rows)))
      (local.set $k0 (i32.add (local.get $k0) (local.get $kc)))
      (br_if $blocks (i32.lt_u (local.get $k0) (local.get $k))))))

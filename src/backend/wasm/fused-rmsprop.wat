;; RMSprop's update in one pass over the weights, on the wasm backend's own heap (its memory is imported,
;; so tensors are read and written where TF.js keeps them, without copies). The same f32 operations in
;; the same order as TF.js' RMSPropOptimizer (its uncentred branch), each rounded to f32 as TF.js' wasm
;; kernels round them, so the weights and the optimizer's state come out bit for bit the same:
;;   ms'  = ms * decay + (g * g) * (1 - decay)
;;   mom' = mom * momentum + (g * lr) / sqrt(ms' + epsilon)
;;   w'   = w - mom'
;; Four lanes at a time (WebAssembly SIMD has no fused multiply-add, so nothing is fused that TF.js does
;; not fuse), then the last n % 4 one by one. Pointers are byte offsets into the memory.
(module
  (import "env" "memory" @MEMORY@)
  (func (export "rmsprop")
    (param $w i32) (param $g i32) (param $ms i32) (param $mom i32)
    (param $outW i32) (param $outMs i32) (param $outMom i32) (param $n i32)
    (param $lr f32) (param $decay f32) (param $oneMinusDecay f32) (param $momentum f32) (param $epsilon f32)
    (local $i i32) (local $vectorEnd i32) (local $end i32)
    (local $vg v128) (local $vms v128) (local $vmom v128)
    (local $sg f32) (local $sms f32) (local $smom f32)
    (local.set $vectorEnd (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $vectorsDone
      (loop $vectors
        (br_if $vectorsDone (i32.ge_u (local.get $i) (local.get $vectorEnd)))
        (local.set $vg (v128.load (i32.add (local.get $g) (local.get $i))))
        (local.set $vms
          (f32x4.add
            (f32x4.mul (v128.load (i32.add (local.get $ms) (local.get $i))) (f32x4.splat (local.get $decay)))
            (f32x4.mul (f32x4.mul (local.get $vg) (local.get $vg)) (f32x4.splat (local.get $oneMinusDecay)))))
        (local.set $vmom
          (f32x4.add
            (f32x4.mul (v128.load (i32.add (local.get $mom) (local.get $i))) (f32x4.splat (local.get $momentum)))
            (f32x4.div
              (f32x4.mul (local.get $vg) (f32x4.splat (local.get $lr)))
              (f32x4.sqrt (f32x4.add (local.get $vms) (f32x4.splat (local.get $epsilon)))))))
        (v128.store (i32.add (local.get $outMs) (local.get $i)) (local.get $vms))
        (v128.store (i32.add (local.get $outMom) (local.get $i)) (local.get $vmom))
        (v128.store (i32.add (local.get $outW) (local.get $i))
          (f32x4.sub (v128.load (i32.add (local.get $w) (local.get $i))) (local.get $vmom)))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $vectors)))
    (block $done
      (loop $scalars
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $sg (f32.load (i32.add (local.get $g) (local.get $i))))
        (local.set $sms
          (f32.add
            (f32.mul (f32.load (i32.add (local.get $ms) (local.get $i))) (local.get $decay))
            (f32.mul (f32.mul (local.get $sg) (local.get $sg)) (local.get $oneMinusDecay))))
        (local.set $smom
          (f32.add
            (f32.mul (f32.load (i32.add (local.get $mom) (local.get $i))) (local.get $momentum))
            (f32.div (f32.mul (local.get $sg) (local.get $lr)) (f32.sqrt (f32.add (local.get $sms) (local.get $epsilon))))))
        (f32.store (i32.add (local.get $outMs) (local.get $i)) (local.get $sms))
        (f32.store (i32.add (local.get $outMom) (local.get $i)) (local.get $smom))
        (f32.store (i32.add (local.get $outW) (local.get $i))
          (f32.sub (f32.load (i32.add (local.get $w) (local.get $i))) (local.get $smom)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $scalars)))))

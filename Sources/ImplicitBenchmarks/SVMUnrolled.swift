import ImplicitCore

/// Reverse-mode differentiation through the iterations of ``SVMSolvers``, written by hand
/// over the recorded iterates: given `∂val/∂β_T`, each pass walks the iterations backwards and
/// returns `∂β_T/∂θ`'s contribution `⟨∂val/∂β_T, ∂β_T/∂θ⟩` (the step sizes are constants).
///
/// Why by hand rather than Swift AD through the loop: each reverse step is one product with
/// `K` plus `O(nk)` work, like a forward step, and the tape is the iterates only (no pullback
/// closures per operation); Swift AD would record a closure context per vector operation and
/// per row projection. The passes are checked against central finite differences of the
/// forward solver in every run (see the workload notes).
enum SVMUnrolled {
  /// Mirror descent: `β_{t+1} = softmax(y_t)`, `y_t = log β_t − η(K(β_t − Y)/θ + Y − 1)`.
  /// Reverse step: `ȳ = p ⊙ (ā − ⟨p, ā⟩)` per row (`p = β_{t+1}`),
  /// `ā ← ȳ/β_t − (η/θ)Kȳ`, `θ̄ += (η/θ²)⟨Kȳ, β_t − Y⟩`.
  static func mirrorDescent(
    _ problem: SVMBenchmarkProblem, _ op: SVMGramOperator, tape: SVMSolvers.IterateTape, theta: Double,
    stepSize eta: Double, cotangent: [Double]
  ) -> Double {
    let n = problem.samples, k = problem.classes, d = n * k
    let steps = tape.iterates.count / d - 1
    var adjoint = cotangent
    var yBar = [Double](repeating: 0, count: d)
    var kyBar = [Double](repeating: 0, count: d)
    var thetaBar = 0.0
    let y = problem.Y
    tape.iterates.withUnsafeBufferPointer { iterates in
      for t in stride(from: steps - 1, through: 0, by: -1) {
        let before = iterates.baseAddress! + t * d, after = before + d
        var ratio = [Double](repeating: 0, count: d)  // β_{t+1}/β_t (0 where β_t = 0)
        for i in 0..<n {
          let base = i &* k
          var mean = 0.0
          for c in 0..<k { mean += after[base &+ c] * adjoint[base &+ c] }
          for c in 0..<k {
            let centered = adjoint[base &+ c] - mean
            yBar[base &+ c] = after[base &+ c] * centered
            ratio[base &+ c] = before[base &+ c] > 0 ? after[base &+ c] / before[base &+ c] * centered : 0
          }
        }
        yBar.withUnsafeBufferPointer { u in
          kyBar.withUnsafeMutableBufferPointer { op.apply(u.baseAddress!, into: $0.baseAddress!) }
        }
        var inner = 0.0
        for i in 0..<d {
          inner += kyBar[i] * (before[i] - y[i])
          adjoint[i] = ratio[i] - eta / theta * kyBar[i]
        }
        thetaBar += eta / (theta * theta) * inner
      }
    }
    return thetaBar
  }

  /// Accelerated projected gradient: `β_{t+1} = P(z_t)`, `z_t = y_t − η(K(y_t − Y)/θ + Y − 1)`,
  /// `y_{t+1} = (1 + m_t)β_{t+1} − m_t β_t`, `y_0 = β_0`.
  /// Reverse step: `ā_{t+1} += (1 + m_t)ȳ_{t+1}`, `z̄ = J_P ā_{t+1}`,
  /// `ȳ_t = z̄ − (η/θ)Kz̄`, `θ̄ += (η/θ²)⟨Kz̄, y_t − Y⟩`, `ā_t = −m_t ȳ_{t+1}`.
  static func acceleratedProjectedGradient(
    _ problem: SVMBenchmarkProblem, _ op: SVMGramOperator, tape: SVMSolvers.IterateTape, theta: Double,
    stepSize eta: Double, cotangent: [Double]
  ) -> Double {
    let n = problem.samples, k = problem.classes, d = n * k
    let steps = tape.iterates.count / d - 1
    var adjoint = cotangent  // ā_{t+1}, without the (1 + m_t)ȳ_{t+1} term
    var pointBar = [Double](repeating: 0, count: d)  // ȳ_{t+1}
    var zBar = [Double](repeating: 0, count: d)
    var kzBar = [Double](repeating: 0, count: d)
    var thetaBar = 0.0
    let y = problem.Y
    tape.iterates.withUnsafeBufferPointer { iterates in
      for t in stride(from: steps - 1, through: 0, by: -1) {
        let before = iterates.baseAddress! + t * d, after = before + d
        let m = tape.momentum[t]
        for i in 0..<d { adjoint[i] += (1 + m) * pointBar[i] }
        let active = adjoint.withUnsafeBufferPointer { a in
          zBar.withUnsafeMutableBufferPointer {
            SVMKernels.simplexJacobianRows(after, a.baseAddress!, n, k, $0.baseAddress!)
          }
        }
        var nextAdjoint = [Double](repeating: 0, count: d)
        for i in 0..<d { nextAdjoint[i] = -m * pointBar[i] }
        if active {
          zBar.withUnsafeBufferPointer { u in
            kzBar.withUnsafeMutableBufferPointer { op.apply(u.baseAddress!, into: $0.baseAddress!) }
          }
          // y_t − Y, with y_t = β_t + m_{t−1}(β_t − β_{t−1}) (y_0 = β_0).
          let previousMomentum = t > 0 ? tape.momentum[t - 1] : 0
          let earlier = t > 0 ? before - d : before
          var inner = 0.0
          for i in 0..<d {
            let point = before[i] + previousMomentum * (before[i] - earlier[i])
            inner += kzBar[i] * (point - y[i])
            pointBar[i] = zBar[i] - eta / theta * kzBar[i]
          }
          thetaBar += eta / (theta * theta) * inner
        } else {
          for i in 0..<d { pointBar[i] = 0 }
        }
        adjoint = nextAdjoint
      }
    }
    return thetaBar
  }

  /// Block coordinate descent, row by row backwards through the sweeps. Row step `i`:
  /// `βᵢ⁺ = P(zᵢ)`, `zᵢ = βᵢ − ηᵢ((K(β − Y))ᵢ/θ + Yᵢ − 1)`, other rows unchanged. With the
  /// adjoint `ā` kept as `D − K·C̄` (so that the rank-one updates cost `O(Pk)` or `O(nk)`):
  /// `z̄ = J_P āᵢ`, `θ̄ += (ηᵢ/θ²)⟨z̄, (K(β − Y))ᵢ⟩`, `C̄ᵢ += (ηᵢ/θ)z̄`, and `Dᵢ` is reset so that
  /// `āᵢ = z̄ − (ηᵢ/θ)Kᵢᵢz̄`.
  static func blockCoordinateDescent(
    _ problem: SVMBenchmarkProblem, _ op: SVMGramOperator, tape: SVMSolvers.BlockTape, theta: Double,
    stepSizes eta: [Double], cotangent: [Double]
  ) -> Double {
    let n = problem.samples, k = problem.classes, d = n * k
    let sweeps = tape.rows.count / d
    var direct = cotangent  // D
    var accumulator = SVMBlockAccumulator(op, coefficients: [Double](repeating: 0, count: d))  // K·C̄
    var thetaBar = 0.0
    let buffer = UnsafeMutablePointer<Double>.allocate(capacity: 3 * k)
    defer { buffer.deallocate() }
    let read = buffer, adjointRow = buffer + k, zBar = buffer + 2 * k
    accumulator.withPointers { kernel, x, state in
      direct.withUnsafeMutableBufferPointer { dp in
        tape.rows.withUnsafeBufferPointer { rows in
          tape.kernelRows.withUnsafeBufferPointer { kernelRows in
            for sweep in stride(from: sweeps - 1, through: 0, by: -1) {
              for i in stride(from: n - 1, through: 0, by: -1) {
                let base = i &* k, offset = sweep &* d &+ base
                op.blockRead(row: i, into: read, x: x, state: state)
                for c in 0..<k { adjointRow[c] = dp[base &+ c] - read[c] }
                let active = SVMKernels.simplexJacobianRows(rows.baseAddress! + offset, adjointRow, 1, k, zBar)
                if !active {
                  for c in 0..<k { dp[base &+ c] = read[c] }
                  continue
                }
                var inner = 0.0
                for c in 0..<k { inner += zBar[c] * kernelRows[offset &+ c] }
                thetaBar += eta[i] / (theta * theta) * inner
                for c in 0..<k { dp[base &+ c] = zBar[c] + read[c] }
                let scale = eta[i] / theta
                for c in 0..<k { zBar[c] *= scale }
                op.blockAdd(row: i, zBar, kernel: kernel, x: x, state: state)
              }
            }
          }
        }
      }
    }
    return thetaBar
  }
}

import ImplicitCore

/// How far a primal–dual point `(x, ν, λ)` is from satisfying the KKT conditions of a
/// ``QuadraticProgram``. Every entry is relative: a max-norm divided by the size of the terms it
/// compares (at least 1), so `1e-12` means "agrees to twelve digits".
public struct KKTResiduals: Sendable, Hashable, CustomStringConvertible {
  /// `‖½(Q + Qᵀ)x + c + Eᵀν + Gᵀλ‖∞`, relative.
  public var stationarity: Double
  /// `‖Ex − d‖∞`, relative.
  public var equalityFeasibility: Double
  /// `max(0, maxᵢ (Gx − h)ᵢ)`, relative.
  public var inequalityFeasibility: Double
  /// `max(0, maxᵢ −λᵢ)`, relative.
  public var dualFeasibility: Double
  /// `maxᵢ |λᵢ (Gx − h)ᵢ|`, relative.
  public var complementarity: Double

  /// The largest of the five.
  public var worst: Double {
    let all = [stationarity, equalityFeasibility, inequalityFeasibility, dualFeasibility, complementarity]
    return all.contains(where: \.isNaN) ? .nan : all.max()!
  }

  /// The residuals of `point` for `program` (shapes must match; NaN propagates to ``worst``).
  public init(program: QuadraticProgram, point: KKTSolution) {
    let x = point.primal, ν = point.equality, λ = point.inequality
    let qx = Matrix(rows: x.count, columns: x.count, scalars: program.symmetrizedQ) * x
    var gradient = qx + program.c
    var scale = max(1, qx.maxAbs, program.c.maxAbs)
    equalityFeasibility = 0
    if program.equalityCount > 0 {
      let eν = program.E.transposedTimes(ν)
      gradient = gradient + eν
      scale = max(scale, eν.maxAbs)
      let ex = program.E * x
      equalityFeasibility = (ex - program.d).maxAbs / max(1, ex.maxAbs, program.d.maxAbs)
    }
    inequalityFeasibility = 0
    dualFeasibility = 0
    complementarity = 0
    if program.inequalityCount > 0 {
      let gλ = program.G.transposedTimes(λ)
      gradient = gradient + gλ
      scale = max(scale, gλ.maxAbs)
      let gx = program.G * x
      let slack = gx - program.h
      let slackScale = max(1, gx.maxAbs, program.h.maxAbs)
      let λScale = max(1, λ.maxAbs)
      let largestSlack = slack.scalars.max()!, smallestλ = λ.scalars.min()!
      inequalityFeasibility = largestSlack > 0 ? largestSlack / slackScale : 0
      dualFeasibility = smallestλ < 0 ? -smallestλ / λScale : 0
      complementarity = (λ * slack).maxAbs / (λScale * slackScale)
    }
    stationarity = gradient.maxAbs / scale
    if !point.isFinite {
      stationarity = .nan
    }
  }

  public var description: String {
    "stationarity \(stationarity), equality \(equalityFeasibility), inequality \(inequalityFeasibility), "
      + "dual \(dualFeasibility), complementarity \(complementarity)"
  }
}

extension KKTResiduals {
  /// Whether every residual is at most `tolerance` (false on NaN).
  public func isWithin(_ tolerance: Double) -> Bool { worst <= tolerance }
}

extension Vector where Scalar == Double {
  /// `‖v‖∞` (0 for the empty vector; NaN if an entry is NaN).
  var maxAbs: Double {
    var m = 0.0
    for s in scalars {
      if s.isNaN { return .nan }
      m = Swift.max(m, Swift.abs(s))
    }
    return m
  }
}

import Foundation
import ImplicitBlockCoordinateDescent
import ImplicitCore
import ImplicitGradientStep
import ImplicitMirrorDescent
import ImplicitObjectives
import ImplicitProjections
import ImplicitProximal
import Testing
import _Differentiation

@testable import ImplicitApplications

/// The compiled examples of docs/svm-hyperparameters.md, on a small SVM, each checked against
/// central finite differences.
@Suite struct SVMHyperparametersDocsExamples {
  @Test func implicitAndUnrolledDerivativesOfTheDual() throws {
    let data = try SVMHyperparameterData.gaussianClasses(
      classes: 3, features: 16, train: 10, validation: 12, test: 1, separation: 1, seed: 3)
    let (train, classes) = (data.train, data.classes)
    // docs-example: svm-hyperparameters-1
    let dual = try MulticlassSVMDual(X: train.X, Y: train.Y)
    // f̃(β, s) = (θ/‖X‖²)·f(β, θ), θ = eˢ: a step 1 on f̃ is the step θ/‖X‖² on f
    let f = SVMDualInLogθ(dual: dual, squaredNorm: train.X.squaredSpectralNorm())
    let md = try MirrorDescentCondition(objective: f, mirrorMap: KLRowSimplexMirrorMap(columns: classes))
    let pg = try ProximalGradientCondition(
      objective: f, projection: RowSimplexProjection(columns: classes), objectiveParameterCount: 1,
      projectionParameter: Vector([]))
    let s = Vector([Foundation.log(4.5)])
    let fista = FISTA.fixedIterations(500, stepSize: 1)
    let beta = try fista.solve(pg, s, from: dual.uniformStart).solution
    // end-docs-example
    var rng = SeededGenerator(seed: 5)
    let u = rng.normalVector(beta.count)  // stands for ∂L/∂β
    // docs-example: svm-hyperparameters-2
    let implicit = try ImplicitDifferentiator(pg).vjp(u, at: beta, s).value  // one linear solve
    let unrolled = pullback(at: s) { s in fista.unrolled(pg, s, from: dual.uniformStart) }(u)  // through 500 steps

    let mirror = MirrorDescent(stepSize: 1, fixedIterations: 500)
    let unrolledMD = pullback(at: s) { s in mirror.unrolled(md, s, from: dual.uniformStart) }(u)

    let bcd = BlockCoordinateDescent(fixedSweeps: 50)  // on f in θ: its steps θ/‖xᵢ‖² are differentiated too
    let rows = try BlockCoordinateDescentCondition(
      objective: dual, blockProjection: SimplexProjection(), projectionParameter: 1,
      blocks: BlockPartition(blockSize: classes, dimension: beta.count), objectiveParameterCount: 1)
    let oracle = MulticlassSVMDualBlockGradients(dual)
    let unrolledBCD = pullback(at: s.exp()) { θ in
      bcd.unrolled(rows, θ, from: dual.uniformStart, gradients: oracle)
    }(u)  // in θ
    // end-docs-example
    // Independent references: central differences of the solvers' iterates in s = log θ.
    let h = 1e-6
    func central(_ iterate: (Vector<Double>) throws -> Vector<Double>) throws -> Double {
      (try iterate(s + Vector([h])) - iterate(s - Vector([h]))).dot(u) / (2 * h)
    }
    let fdPG = try central { try fista.solve(pg, $0, from: dual.uniformStart).solution }
    let fdMD = try central { try mirror.solve(md, $0, from: dual.uniformStart).solution }
    let θ = s.exp()
    let fdBCD =
      (try bcd.solve(rows, θ + Vector([h]), from: dual.uniformStart, gradients: oracle).solution
      - bcd.solve(rows, θ - Vector([h]), from: dual.uniformStart, gradients: oracle).solution).dot(u) / (2 * h)
    #expect(abs(fdBCD) > 1e-3)
    #expect(abs(unrolledBCD[0] - fdBCD) <= 1e-6 * abs(fdBCD), "\(unrolledBCD[0]) vs \(fdBCD)")
    #expect(abs(unrolled[0] - fdPG) <= 1e-6 * max(abs(fdPG), 1e-3), "\(unrolled[0]) vs \(fdPG)")
    #expect(abs(unrolledMD[0] - fdMD) <= 1e-6 * max(abs(fdMD), 1e-3), "\(unrolledMD[0]) vs \(fdMD)")
    // After 500 steps projected gradient has converged: the implicit derivative is the same.
    #expect(abs(fdPG) > 1e-3)
    #expect(abs(implicit[0] - fdPG) <= 1e-6 * abs(fdPG), "\(implicit[0]) vs \(fdPG)")
  }
}

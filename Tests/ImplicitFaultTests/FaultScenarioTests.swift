import ImplicitCore
import ImplicitFixedPoint
import ImplicitKKT
import ImplicitStationarity
import Testing

/// Every scenario of ``Scenarios`` in a process of its own (Swift Testing exit tests): a scenario
/// that traps fails here, named, without hiding the others. Success means the child returned:
/// every bad input gave a typed error or a flagged status.
@Suite("API fault scenarios: bad input never traps")
struct FaultScenarioTests {
  @Test func matrixRowsColumnsValidating() async {
    await #expect(processExitsWith: .success) { Scenarios.matrixRowsColumnsValidating() }
  }
  @Test func matrixValidatingRagged() async {
    await #expect(processExitsWith: .success) { Scenarios.matrixValidatingRagged() }
  }
  @Test func conjugateGradient() async {
    await #expect(processExitsWith: .success) { Scenarios.linearSolver(ConjugateGradient()) }
  }
  @Test func normalConjugateGradient() async {
    await #expect(processExitsWith: .success) { Scenarios.linearSolver(NormalConjugateGradient()) }
  }
  @Test func gmres() async {
    await #expect(processExitsWith: .success) { Scenarios.linearSolver(GMRES()) }
  }
  @Test func biCGSTAB() async {
    await #expect(processExitsWith: .success) { Scenarios.linearSolver(BiCGSTAB()) }
  }
  @Test func denseLU() async {
    await #expect(processExitsWith: .success) { Scenarios.linearSolver(DenseLU()) }
  }
  @Test func denseCholesky() async {
    await #expect(processExitsWith: .success) { Scenarios.linearSolver(DenseCholesky()) }
  }
  @Test func denseQR() async {
    await #expect(processExitsWith: .success) { Scenarios.linearSolver(DenseQR()) }
  }
  @Test func automaticLinearSolver() async {
    await #expect(processExitsWith: .success) { Scenarios.linearSolver(AutomaticLinearSolver()) }
  }
  @Test func factorizations() async {
    await #expect(processExitsWith: .success) { Scenarios.factorizations() }
  }
  @Test func differentiatorWrongShapes() async {
    await #expect(processExitsWith: .success) { try Scenarios.differentiatorWrongShapes() }
  }
  @Test func differentiatorBadOptions() async {
    await #expect(processExitsWith: .success) { try Scenarios.differentiatorBadOptions() }
  }
  @Test func differentiatorUnvalidatedCondition() async {
    await #expect(processExitsWith: .success) { Scenarios.differentiatorUnvalidatedCondition() }
  }
  @Test func implicitFunctionPullbacks() async {
    await #expect(processExitsWith: .success) { try Scenarios.implicitFunctionPullbacks() }
  }
  @Test func reparametrized() async {
    await #expect(processExitsWith: .success) { try Scenarios.reparametrized() }
  }
  @Test func fista() async {
    await #expect(processExitsWith: .success) { try Scenarios.fista() }
  }
  @Test func projectedGradientWrongLayout() async {
    await #expect(processExitsWith: .success) { try Scenarios.projectedGradientWrongLayout() }
  }
  @Test func projectionsThroughConditions() async {
    await #expect(processExitsWith: .success) { try Scenarios.projectionsThroughConditions() }
  }
  @Test func proxesThroughConditions() async {
    await #expect(processExitsWith: .success) { try Scenarios.proxesThroughConditions() }
  }
  @Test func mirrorDescent() async {
    await #expect(processExitsWith: .success) { try Scenarios.mirrorDescent() }
  }
  @Test func blockCoordinateDescent() async {
    await #expect(processExitsWith: .success) { try Scenarios.blockCoordinateDescent() }
  }
  @Test func objectiveConstructors() async {
    await #expect(processExitsWith: .success) { Scenarios.objectiveConstructors() }
  }
  @Test func gradientDescent() async {
    await #expect(processExitsWith: .success) { try Scenarios.minimizer(GradientDescent()) }
  }
  @Test func lbfgs() async {
    await #expect(processExitsWith: .success) { try Scenarios.minimizer(LBFGS()) }
  }
  @Test func newtonCG() async {
    await #expect(processExitsWith: .success) { try Scenarios.minimizer(NewtonCG()) }
  }
  @Test func badMinimizerSettings() async {
    await #expect(processExitsWith: .success) { try Scenarios.badMinimizerSettings() }
  }
  @Test func fixedPointIteration() async {
    await #expect(processExitsWith: .success) { Scenarios.fixedPoint(FixedPointIteration()) }
  }
  @Test func andersonAcceleration() async {
    await #expect(processExitsWith: .success) { Scenarios.fixedPoint(AndersonAcceleration()) }
  }
  @Test func badFixedPointSettings() async {
    await #expect(processExitsWith: .success) { Scenarios.badFixedPointSettings() }
  }
  @Test func activeSetQP() async {
    await #expect(processExitsWith: .success) { Scenarios.quadraticPrograms(ActiveSetQPSolver()) }
  }
  @Test func admmQP() async {
    await #expect(processExitsWith: .success) { Scenarios.quadraticPrograms(ADMMQPSolver(maxIterations: 2_000)) }
  }
  @Test func equalityQP() async {
    await #expect(processExitsWith: .success) { Scenarios.quadraticPrograms(EqualityQPSolver()) }
  }
  @Test func quadraticProgramKKT() async {
    await #expect(processExitsWith: .success) { Scenarios.quadraticProgramKKT() }
  }
  @Test func registry() async {
    await #expect(processExitsWith: .success) { try Scenarios.registry() }
  }
  @Test func singularSystems() async {
    await #expect(processExitsWith: .success) { try Scenarios.singularSystems() }
  }
  @Test func emptyData() async {
    await #expect(processExitsWith: .success) { try Scenarios.emptyData() }
  }
  @Test func convenienceWrappers() async {
    await #expect(processExitsWith: .success) { try Scenarios.convenienceWrappers() }
  }
  @Test func ridgeSolves() async {
    await #expect(processExitsWith: .success) { try Scenarios.ridgeSolves() }
  }
}

import ImplicitCore
import ImplicitRidge

/// Registers every condition family linked into the tool.
func registerAllFamilies() throws {
  try RidgeFamily.register()
}

@MainActor func listFamilies(_ arguments: [String]) -> Int32 {
  for family in FamilyRegistry.shared.families {
    print("\(family.name)  [\(family.module)]\(family.methods.isEmpty ? "" : "  methods: " + family.methods.joined(separator: ", "))")
    print("    \(family.formula)")
    for assumption in family.assumptions { print("    assumes: \(assumption)") }
  }
  print("\(FamilyRegistry.shared.families.count) families")
  return 0
}

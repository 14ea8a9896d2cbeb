import ImplicitCore
import ImplicitFamilies

/// Registers every condition family linked into the tool.
func registerAllFamilies() throws { try AllFamilies.register() }

@MainActor func listFamilies(_ arguments: [String]) -> Int32 {
  guard arguments.isEmpty else {
    printError("list takes no arguments (got \(arguments.joined(separator: " ")))")
    return 2
  }
  let registry = FamilyRegistry.shared
  for family in registry.families {
    let methods = family.methods.isEmpty ? "" : "  methods: " + family.methods.joined(separator: ", ")
    print("\(family.name)  [\(family.module)]\(methods)")
    print("    \(family.formula)")
    for assumption in family.assumptions { print("    assumes: \(assumption)") }
  }
  print("\(registry.familyNames.count) families (\(registry.families.count) registrations)")
  return 0
}

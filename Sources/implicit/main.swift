import Foundation
import ImplicitCore

/// The `implicit` command-line tool: lists condition families, checks reference cases, runs
/// the demos (the benchmarks are the separate package Benchmarks/). Argument parsing is hand-written (no outside packages).
let usage = """
  implicit — automatic implicit differentiation for Swift

  USAGE: implicit <subcommand> [options]

  SUBCOMMANDS:
    list                      Registered condition families, with formula and assumptions.
    check PATH... [--tol T] [--json] [--verbose]
                              Run reference cases (files, or folders searched for *.json)
                              and compare values and Jacobians (default --tol 1e-6 relative).
                              Exit 0 all passed, 1 some failed, 2 malformed input.
    conformance [PATH...] [--verbose]
                              Run the conformance kit over the catalogue instances of every
                              registered family (default PATH: Catalog).
    catalog [--check | --write] [--catalog DIR] [--output FILE]
                              Regenerate (or verify) docs/catalog.md from the registry and
                              Catalog/; fails on a family without entry or an entry without family.
    docs --check [--pages FILE,FILE,...]
                              Verify that every Swift block of the pages (default: README.md
                              and docs/) is a compiled example (in Tests/ or Examples/).
    demo [NAME]               Run a demo (default: ridge, the paper's Figure 1). `demo --list`.
    help, --help              This text.
  """

@MainActor func run() -> Int32 {
  var arguments = Array(CommandLine.arguments.dropFirst())
  guard let command = arguments.first else {
    print(usage)
    return 0
  }
  arguments.removeFirst()
  do {
    try registerAllFamilies()
  } catch {
    printError("registry: \(error)")
    return 2
  }
  switch command {
  case "help", "--help", "-h": print(usage); return 0
  case "list": return listFamilies(arguments)
  case "check": return runCheck(arguments)
  case "demo": return runDemo(arguments)
  case "conformance": return runConformance(arguments)
  case "catalog": return runCatalogue(arguments)
  case "docs": return runDocs(arguments)
  default:
    printError("unknown subcommand \"\(command)\"\n\n\(usage)")
    return 2
  }
}

func printError(_ message: String) {
  FileHandle.standardError.write(Data(("error: " + message + "\n").utf8))
}

exit(run())

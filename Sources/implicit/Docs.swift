import Foundation

/// `implicit docs --check [--docs DIR] [--readme FILE] [--examples DIR]...`: every ```swift block
/// of the README and of the pages in `docs/` must be code that a test compiles and runs.
///
/// Block `k` (counted from 1) of `docs/NAME.md` must equal, after dedenting, the region between
/// `// docs-example: NAME-k` and `// end-docs-example` in a Swift file below one of the example
/// folders (default `Tests` and `Examples`); the README's blocks are `readme-k`.
/// Setup the page does not show (data, imports) and the checks of the result stand outside the
/// markers, as in the catalogue's compiled examples.
@MainActor func runDocs(_ arguments: [String]) -> Int32 {
  let options: Options
  do {
    options = try Options(arguments, flags: ["--check"], valued: ["--docs", "--readme", "--examples"])
  } catch {
    printError("\(error)")
    return 2
  }
  guard options.flags.contains("--check"), options.positional.isEmpty else {
    printError("usage: implicit docs --check [--docs DIR] [--readme FILE] [--examples DIR]")
    return 2
  }
  let docs = options.values["--docs"] ?? "docs"
  let readme = options.values["--readme"] ?? "README.md"
  let folders = options.values["--examples"].map { [$0] } ?? ["Tests", "Examples"]
  var compiled = [String: String]()
  for folder in folders {
    compiled.merge(compiledExamples(in: folder, marker: "docs-example", recursive: true)) { first, _ in first }
  }
  var pages = [(name: String, path: String)]()
  if FileManager.default.fileExists(atPath: readme) { pages.append(("readme", readme)) }
  let files = ((try? FileManager.default.contentsOfDirectory(atPath: docs)) ?? []).filter { $0.hasSuffix(".md") }
  pages += files.sorted().map { (String($0.dropLast(3)), "\(docs)/\($0)") }
  var problems = [String](), blocks = 0
  for page in pages {
    guard let text = try? String(contentsOfFile: page.path, encoding: .utf8) else {
      problems.append("cannot read \(page.path)")
      continue
    }
    for (index, block) in swiftBlocks(in: text).enumerated() {
      blocks += 1
      let name = "\(page.name)-\(index + 1)"
      guard let code = compiled[name] else {
        problems.append("\(page.path): Swift block \(index + 1) is not compiled (no `// docs-example: \(name)` region)")
        continue
      }
      if code != block {
        problems.append("\(page.path): Swift block \(index + 1) differs from its compiled example \(name)")
      }
    }
  }
  for p in problems { printError(p) }
  guard problems.isEmpty else { return 1 }
  print("\(blocks) Swift blocks in \(pages.count) pages are compiled examples")
  return 0
}

/// The bodies of the ```swift fenced blocks of a Markdown text, dedented.
func swiftBlocks(in text: String) -> [String] {
  var blocks = [String](), current: [String]?
  for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
    let trimmed = line.trimmingCharacters(in: .whitespaces)
    if current == nil, trimmed == "```swift" {
      current = []
    } else if let lines = current, trimmed == "```" {
      blocks.append(dedent(lines))
      current = nil
    } else if current != nil {
      current!.append(line)
    }
  }
  return blocks
}

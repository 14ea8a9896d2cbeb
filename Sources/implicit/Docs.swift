import Foundation

/// `implicit docs --check [--pages FILE,FILE,...] [--docs DIR] [--readme FILE] [--examples DIR]`:
/// every ```swift block of the checked pages must be code that a test compiles and runs.
///
/// Block `k` (counted from 1) of `docs/NAME.md` must equal, after dedenting, the region between
/// `// docs-example: NAME-k` and `// end-docs-example` in a Swift file below one of the example
/// folders (default `Tests` and `Examples`); the README's blocks are `readme-k`.
/// Setup the page does not show (data, imports) and the checks of the result stand outside the
/// markers, as in the catalogue's compiled examples.
///
/// The checked pages are `--pages` when given (a comma-separated list of Markdown files, so that
/// CI can hold the pages already converted to the rule while others are being converted), else
/// the README and every page of `docs/`. A region named after a checked page whose page has no
/// such block (a stale example) is reported too.
@MainActor func runDocs(_ arguments: [String]) -> Int32 {
  let options: Options
  do {
    options = try Options(arguments, flags: ["--check"], valued: ["--pages", "--docs", "--readme", "--examples"])
  } catch {
    printError("\(error)")
    return 2
  }
  guard options.flags.contains("--check"), options.positional.isEmpty else {
    printError("usage: implicit docs --check [--pages FILE,FILE,...] [--docs DIR] [--readme FILE] [--examples DIR]")
    return 2
  }
  let folders = options.values["--examples"].map { [$0] } ?? ["Tests", "Examples"]
  var compiled = [String: String]()
  for folder in folders {
    compiled.merge(compiledExamples(in: folder, marker: "docs-example", recursive: true)) { first, _ in first }
  }
  var problems = [String]()
  let pages: [(name: String, path: String)]
  if let list = options.values["--pages"] {
    let paths = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    pages = paths.map { (pageName(of: $0), $0) }
    problems += paths.filter { !FileManager.default.fileExists(atPath: $0) }.map { "no page \($0)" }
  } else {
    let docs = options.values["--docs"] ?? "docs"
    let readme = options.values["--readme"] ?? "README.md"
    let files = ((try? FileManager.default.contentsOfDirectory(atPath: docs)) ?? []).filter { $0.hasSuffix(".md") }
    pages =
      (FileManager.default.fileExists(atPath: readme) ? [("readme", readme)] : [])
      + files.sorted().map { (pageName(of: $0), "\(docs)/\($0)") }
  }
  var blocks = 0
  for page in pages where FileManager.default.fileExists(atPath: page.path) {
    guard let text = try? String(contentsOfFile: page.path, encoding: .utf8) else {
      problems.append("cannot read \(page.path)")
      continue
    }
    let pageBlocks = swiftBlocks(in: text)
    for (index, block) in pageBlocks.enumerated() {
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
    // A region for a block the page no longer has would test code no reader sees.
    for name in compiled.keys.sorted() where name.hasPrefix("\(page.name)-") {
      if let k = Int(name.dropFirst(page.name.count + 1)), k > pageBlocks.count {
        problems.append("\(page.path): compiled example \(name) has no Swift block \(k) on the page")
      }
    }
  }
  for p in problems { printError(p) }
  guard problems.isEmpty else { return 1 }
  print("\(blocks) Swift blocks in \(pages.count) pages are compiled examples")
  return 0
}

/// The example-name prefix of a page: `readme` for a README, else the file name without `.md`.
func pageName(of path: String) -> String {
  let file = String(path.split(separator: "/").last ?? Substring(path))
  if file.lowercased() == "readme.md" { return "readme" }
  return file.hasSuffix(".md") ? String(file.dropLast(3)) : file
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

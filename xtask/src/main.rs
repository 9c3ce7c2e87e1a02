//! The project's own chores: `cargo xtask build | serve | test | test-web`.
//!
//! - `build` installs what the browser page needs where it is missing (the wasm32 target, and the wasm-bindgen
//!   CLI at exactly the version of the `wasm-bindgen` crate in `Cargo.lock`, into `$HOME/.cache/kafkasim-tools`
//!   so that a fresh clone on the same machine reuses it), builds the `kafkasim` CLI in release mode and the wasm
//!   with the size-optimised `wasm-release` profile, shrinks it with `wasm-opt -Oz` (npm's binaryen, also in the
//!   tools folder), and assembles `dist/`: the page (`web/www/`), the wasm-bindgen output (`dist/pkg/`) and every
//!   scenario in `scenarios/` as `dist/scenarios.json`. A `dist/book/` built by someone else is left alone.
//! - `serve` builds, then runs `kafkasim serve` on `dist/` (extra arguments, e.g. `--port 9000`, go to it).
//! - `test` runs every check CI runs: rustfmt, clippy with warnings denied, every test of the workspace, and then
//!   the browser tests (`test-web`).
//! - `test-web` installs Chromium (Debian's package) and the test's npm packages where missing, builds, starts
//!   `kafkasim serve` on a free loopback port, runs `web/tests/run.mjs` in headless Chromium against it, and
//!   stops the server.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = repo_root();
    let rest: Vec<&str> = args.iter().skip(1).map(String::as_str).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(&root),
        Some("test-web") => test_web(&root),
        Some("build") => build(&root),
        Some("serve") => serve(&root, &rest),
        _ => {
            eprintln!("usage: cargo xtask <build | serve | test | test-web>");
            eprintln!(
                "  build     install the wasm toolchain where missing, build the CLI and the page into dist/"
            );
            eprintln!("  serve     build, then serve dist/ on http://127.0.0.1:8000/ (extra args go to kafkasim serve)");
            eprintln!("  test      fmt, clippy, every test of the workspace, then the browser tests");
            eprintln!("  test-web  only the browser tests (headless Chromium)");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the repository").to_path_buf()
}

/// Runs a command in the repository root, echoing it first.
fn run(root: &Path, program: &str, args: &[&str]) -> Result<(), String> {
    run_cmd(Command::new(program).args(args).current_dir(root))
}

/// Runs a prepared command, echoing it first; fails on a non-zero exit.
fn run_cmd(cmd: &mut Command) -> Result<(), String> {
    let shown = show(cmd);
    eprintln!("+ {shown}");
    let status = cmd.status().map_err(|e| format!("cannot start {shown}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{shown}` failed with {status}"))
    }
}

fn show(cmd: &Command) -> String {
    let mut parts = vec![cmd.get_program().to_string_lossy().to_string()];
    parts.extend(cmd.get_args().map(|a| a.to_string_lossy().to_string()));
    parts.join(" ")
}

/// Whether a command runs and exits 0 (its output is discarded).
fn succeeds(cmd: &mut Command) -> bool {
    cmd.stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string())
}

/// Cargo's target folder: `CARGO_TARGET_DIR` when set, else `target/` in the repository.
fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                root.join(dir)
            }
        }
        None => root.join("target"),
    }
}

/// Where tools installed by xtask live: outside the repository, so that every clone on the machine (CI's fresh
/// clone included) shares them. `KAFKASIM_TOOLS` overrides it (to try a fresh install without losing the cache).
fn tools_dir() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("KAFKASIM_TOOLS") {
        return Ok(PathBuf::from(dir));
    }
    let home = std::env::var_os("HOME").ok_or("HOME is not set: cannot place the tools folder")?;
    Ok(PathBuf::from(home).join(".cache/kafkasim-tools"))
}

/// Makes sure rustfmt and clippy are there (they come with the toolchain on this project's machines; a
/// minimal toolchain gets them from rustup).
fn ensure_components(root: &Path) -> Result<(), String> {
    for (component, probe) in [("rustfmt", "fmt"), ("clippy", "clippy")] {
        let present = Command::new(cargo())
            .args([probe, "--version"])
            .current_dir(root)
            .output()
            .is_ok_and(|o| o.status.success());
        if !present {
            run(root, "rustup", &["component", "add", component])?;
        }
    }
    Ok(())
}

fn test(root: &Path) -> Result<(), String> {
    ensure_components(root)?;
    let cargo = cargo();
    run(root, &cargo, &["fmt", "--all", "--", "--check"])?;
    run(root, &cargo, &["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"])?;
    run(root, &cargo, &["test", "--workspace"])?;
    test_web(root)
}

// ---------- build ----------

fn build(root: &Path) -> Result<(), String> {
    run(root, &cargo(), &["build", "--release", "-p", "kafkasim"])?;
    run(root, "rustup", &["target", "add", "wasm32-unknown-unknown"])?;
    let version = wasm_bindgen_version(root)?;
    let wasm_bindgen = ensure_wasm_bindgen(root, &version)?;
    // The `wasm-release` profile (workspace Cargo.toml): optimised for size, with LTO.
    let profile = "wasm-release";
    run(
        root,
        &cargo(),
        &["build", "--profile", profile, "--target", "wasm32-unknown-unknown", "-p", "kafkasim-web"],
    )?;
    let dist = root.join("dist");
    clean_dist(&dist)?;
    let wasm = target_dir(root).join(format!("wasm32-unknown-unknown/{profile}/kafkasim_web.wasm"));
    run_cmd(
        Command::new(&wasm_bindgen)
            .args(["--target", "web", "--no-typescript", "--out-dir"])
            .arg(dist.join("pkg"))
            .arg(&wasm)
            .current_dir(root),
    )?;
    let bundle = dist.join("pkg/kafkasim_web_bg.wasm");
    optimise_wasm(root, &bundle)?;
    copy_page(&root.join("web/www"), &dist)?;
    write_scenarios(&root.join("scenarios"), &dist.join("scenarios.json"))?;
    build_book(root, &dist)?;
    let size = std::fs::metadata(&bundle).map_err(|e| format!("{}: {e}", bundle.display()))?.len();
    let gzipped = gzipped_size(&bundle).map_or("?".to_string(), |g| format!("{} KiB", g / 1024));
    eprintln!(
        "built {} ({} KiB of wasm, {gzipped} gzipped); serve it with `cargo xtask serve`",
        dist.display(),
        size / 1024
    );
    Ok(())
}

// ---------- wasm-opt ----------

/// The binaryen release whose `wasm-opt` shrinks the bundle. From npm: Debian's binaryen (v108) writes wasm that
/// Chromium rejects (see `shared/reference/toolchain.md`).
const BINARYEN_VERSION: &str = "132";

/// Runs `wasm-opt -Oz` on the bundle in place (binaryen from npm, installed into the tools folder). The result is
/// cached by the input's hash, because `-Oz` takes a minute and the input only changes with the Rust code. When
/// npm is not there, the bundle stays as it is (larger, equally correct) and a line says so.
fn optimise_wasm(root: &Path, bundle: &Path) -> Result<(), String> {
    let Some(wasm_opt) = ensure_wasm_opt(root)? else {
        eprintln!("npm is not installed: skipping wasm-opt (the bundle is larger but works)");
        return Ok(());
    };
    let input = std::fs::read(bundle).map_err(|e| format!("{}: {e}", bundle.display()))?;
    let cache = target_dir(root).join("wasm-opt-cache");
    let cached = cache.join(format!("{:016x}-{BINARYEN_VERSION}.wasm", fnv1a(&input)));
    if !cached.exists() {
        std::fs::create_dir_all(&cache).map_err(|e| format!("{}: {e}", cache.display()))?;
        let partial = cache.join("partial.wasm");
        run_cmd(
            Command::new(&wasm_opt)
                .arg("-Oz")
                // The features rustc's wasm32 target uses by default; wasm-opt must accept them.
                .args(["--enable-bulk-memory", "--enable-nontrapping-float-to-int", "--enable-sign-ext"])
                .args(["--enable-mutable-globals", "--enable-reference-types", "--enable-multivalue"])
                .args(["--strip-debug", "--strip-producers", "-o"])
                .arg(&partial)
                .arg(bundle)
                .current_dir(root),
        )?;
        std::fs::rename(&partial, &cached).map_err(|e| format!("{}: {e}", cached.display()))?;
    }
    std::fs::copy(&cached, bundle).map_err(|e| format!("{}: {e}", bundle.display()))?;
    Ok(())
}

/// `wasm-opt` from npm's `binaryen` at `BINARYEN_VERSION`, installed into the tools folder unless it is there;
/// `None` without npm.
fn ensure_wasm_opt(root: &Path) -> Result<Option<PathBuf>, String> {
    let dir = tools_dir()?.join(format!("binaryen-{BINARYEN_VERSION}"));
    let bin = dir.join("node_modules/.bin/wasm-opt");
    let version = Command::new(&bin).arg("--version").output().ok().filter(|o| o.status.success());
    if version
        .is_some_and(|o| String::from_utf8_lossy(&o.stdout).contains(&format!("version {BINARYEN_VERSION}")))
    {
        return Ok(Some(bin));
    }
    if !succeeds(Command::new("npm").arg("--version")) {
        return Ok(None);
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    run_cmd(
        Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--no-save", "--prefix"])
            .arg(&dir)
            .arg(format!("binaryen@{BINARYEN_VERSION}"))
            .current_dir(root),
    )?;
    Ok(Some(bin))
}

/// The gzipped size of a file (what a static host that compresses sends), from the `gzip` tool if present.
fn gzipped_size(path: &Path) -> Option<u64> {
    let out = Command::new("gzip").args(["-9", "-c"]).arg(path).stderr(Stdio::null()).output().ok()?;
    out.status.success().then_some(out.stdout.len() as u64)
}

/// 64-bit FNV-1a, for the wasm-opt cache key (xtask has no dependencies).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3))
}

/// The exact version of the `wasm-bindgen` crate in `Cargo.lock`: the CLI must be the same number.
fn wasm_bindgen_version(root: &Path) -> Result<String, String> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).map_err(|e| format!("Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"wasm-bindgen\"" {
            let version = lines.next().and_then(|l| l.trim().strip_prefix("version = \""));
            if let Some(v) = version.and_then(|v| v.strip_suffix('"')) {
                return Ok(v.to_string());
            }
        }
    }
    Err("no wasm-bindgen package in Cargo.lock: is web/ a workspace member?".to_string())
}

/// The wasm-bindgen CLI at `version`, installed into the tools folder unless it is already there.
fn ensure_wasm_bindgen(root: &Path, version: &str) -> Result<PathBuf, String> {
    let tools = tools_dir()?;
    let bin = tools.join("bin/wasm-bindgen");
    let installed = Command::new(&bin).arg("--version").output().ok().filter(|o| o.status.success());
    let found = installed.map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    if found.as_deref() == Some(format!("wasm-bindgen {version}").as_str()) {
        return Ok(bin);
    }
    eprintln!("installing wasm-bindgen-cli {version} into {} (found: {found:?})", tools.display());
    let install = |locked: bool| {
        let mut cmd = Command::new(cargo());
        // A debug build installs in about a minute instead of five and is quick enough for one .wasm file.
        cmd.args(["install", "--debug", "--force", "--root"])
            .arg(&tools)
            .args(["wasm-bindgen-cli", "--version", &format!("={version}")])
            .env("CARGO_PROFILE_DEV_DEBUG", "0")
            .current_dir(root);
        if locked {
            cmd.arg("--locked");
        }
        run_cmd(&mut cmd)
    };
    // `--locked` first, for the versions the CLI's authors tested; some releases' lock files name a crate
    // version the registry no longer has (0.2.130 does), and then the resolver's choice is the only way.
    if let Err(e) = install(true) {
        eprintln!("--locked install failed ({e}); trying without --locked");
        install(false)?;
    }
    Ok(bin)
}

// ---------- the book ----------

/// The mdBook version the book is written for (`book/book.toml` says the same).
const MDBOOK_VERSION: &str = "0.5.4";

/// Builds `book/` into `dist/book/`, next to the explorer page that its widgets load in iframes.
fn build_book(root: &Path, dist: &Path) -> Result<(), String> {
    let mdbook = ensure_mdbook(root)?;
    let out = dist.join("book");
    run_cmd(
        Command::new(&mdbook)
            .arg("build")
            .arg(root.join("book"))
            .arg("--dest-dir")
            .arg(&out)
            .current_dir(root),
    )
}

/// mdBook at `MDBOOK_VERSION`, installed into the tools folder unless it is already there.
fn ensure_mdbook(root: &Path) -> Result<PathBuf, String> {
    let tools = tools_dir()?;
    let bin = tools.join("bin/mdbook");
    let installed = Command::new(&bin).arg("--version").output().ok().filter(|o| o.status.success());
    let found = installed.map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    if found.as_deref() == Some(format!("mdbook v{MDBOOK_VERSION}").as_str()) {
        return Ok(bin);
    }
    eprintln!("installing mdbook {MDBOOK_VERSION} into {} (found: {found:?})", tools.display());
    run_cmd(
        Command::new(cargo())
            .args(["install", "--locked", "--force", "--root"])
            .arg(&tools)
            .args(["mdbook", "--version", &format!("={MDBOOK_VERSION}")])
            // No debug info: the install takes a little less time and disk.
            .env("CARGO_PROFILE_RELEASE_DEBUG", "0")
            .current_dir(root),
    )?;
    Ok(bin)
}

/// Empties `dist/` except `book/`, which the book's build owns.
fn clean_dist(dist: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dist).map_err(|e| format!("{}: {e}", dist.display()))?;
    let entries = std::fs::read_dir(dist).map_err(|e| format!("{}: {e}", dist.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("{}: {e}", dist.display()))?;
        if entry.file_name() == "book" {
            continue;
        }
        let path = entry.path();
        let removed =
            if path.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) };
        removed.map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
    }
    Ok(())
}

/// Copies the page's files (flat: `web/www/` has no folders).
fn copy_page(from: &Path, to: &Path) -> Result<(), String> {
    let entries = std::fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| format!("{}: {e}", from.display()))?.path();
        if path.is_file() {
            let name = path.file_name().ok_or("a file without a name")?;
            std::fs::copy(&path, to.join(name))
                .map_err(|e| format!("cannot copy {}: {e}", path.display()))?;
        }
    }
    Ok(())
}

/// Bundles every `scenarios/*.toml` as `[{"name", "file", "text"}]`, sorted by name, for the page's picker.
fn write_scenarios(dir: &Path, out: &Path) -> Result<(), String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let mut json = String::from("[\n");
    for (i, path) in files.iter().enumerate() {
        let file = path.file_name().and_then(|n| n.to_str()).ok_or("a scenario file name is not UTF-8")?;
        let name = file.trim_end_matches(".toml");
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let sep = if i + 1 < files.len() { "," } else { "" };
        json.push_str(&format!(
            "  {{\"name\": {}, \"file\": {}, \"text\": {}}}{sep}\n",
            json_string(name),
            json_string(file),
            json_string(&text)
        ));
    }
    json.push_str("]\n");
    std::fs::write(out, json).map_err(|e| format!("{}: {e}", out.display()))?;
    eprintln!("bundled {} scenarios into {}", files.len(), out.display());
    Ok(())
}

/// A JSON string literal (xtask has no dependencies, and this is the only JSON it writes).
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

// ---------- serve ----------

fn serve(root: &Path, args: &[&str]) -> Result<(), String> {
    build(root)?;
    let bin = target_dir(root).join("release/kafkasim");
    run_cmd(Command::new(bin).arg("serve").args(args).current_dir(root))
}

// ---------- browser tests ----------

/// The Chromium that the browser tests drive (Debian's package: nothing downloads a browser of its own).
const CHROMIUM: &str = "/usr/bin/chromium";

fn test_web(root: &Path) -> Result<(), String> {
    ensure_chromium(root)?;
    let tests = root.join("web/tests");
    if !succeeds(Command::new("npm").arg("--version")) {
        apt_install(root, &["nodejs", "npm"])?;
    }
    run_cmd(Command::new("npm").args(["ci", "--no-audit", "--no-fund"]).current_dir(&tests))?;
    build(root)?;
    // The book's Rust code blocks (if any) must compile and pass; the browser checks below cover the rest.
    let mdbook = ensure_mdbook(root)?;
    run_cmd(Command::new(&mdbook).arg("test").arg(root.join("book")).current_dir(root))?;
    let target = target_dir(root);
    let bin = target.join("release/kafkasim");
    let server = Server::start(&bin, &root.join("dist"))?;
    eprintln!("+ node web/tests/run.mjs (page at {})", server.url);
    let status = Command::new("node")
        .arg("run.mjs")
        .current_dir(&tests)
        .env("KAFKASIM_URL", &server.url)
        .env("KAFKASIM_BIN", &bin)
        .env("KAFKASIM_ROOT", root)
        .env("KAFKASIM_SCREENSHOTS", target.join("web-screenshots"))
        .env("CHROMIUM", CHROMIUM)
        .status()
        .map_err(|e| format!("cannot start node: {e}"))?;
    drop(server);
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "the browser tests failed ({status}); screenshots are in {}",
            target.join("web-screenshots").display()
        ))
    }
}

fn ensure_chromium(root: &Path) -> Result<(), String> {
    if Path::new(CHROMIUM).exists() {
        return Ok(());
    }
    apt_install(root, &["chromium"])
}

/// Installs Debian packages (the machines run as root).
fn apt_install(root: &Path, packages: &[&str]) -> Result<(), String> {
    run(root, "apt-get", &["update"])?;
    let mut args = vec!["install", "-y", "--no-install-recommends"];
    args.extend_from_slice(packages);
    run_cmd(Command::new("apt-get").args(&args).env("DEBIAN_FRONTEND", "noninteractive").current_dir(root))
}

/// `kafkasim serve` on a free loopback port, stopped when dropped (also when a test step fails).
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(bin: &Path, dir: &Path) -> Result<Server, String> {
        let mut child = Command::new(bin)
            .args(["serve", "--port", "0", "--dir"])
            .arg(dir)
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        let stdout = child.stdout.take().ok_or("no stdout from kafkasim serve")?;
        let mut server = Server { child, url: String::new() };
        // The first line is the URL.
        let mut first = String::new();
        let mut reader = BufReader::new(stdout);
        reader.read_line(&mut first).map_err(|e| format!("kafkasim serve: {e}"))?;
        // Keep reading what the server prints, so that it never writes into a closed pipe.
        std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
        server.url = first.trim().to_string();
        if !server.url.starts_with("http://127.0.0.1:") {
            return Err(format!("kafkasim serve did not print its URL first (got {first:?})"));
        }
        Ok(server)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::json_string;

    #[test]
    fn json_strings_escape_quotes_backslashes_and_control_characters() {
        assert_eq!(json_string("a\"b\\c\nd\te\u{1}"), r#""a\"b\\c\nd\te\u0001""#);
        assert_eq!(json_string("broker → 2"), "\"broker → 2\"");
    }
}

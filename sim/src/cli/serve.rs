//! `kafkasim serve [--port P] [--dir D]`: a small static file server for the browser explorer.
//!
//! It serves the folder `D` (default `dist/`, what `cargo xtask build` assembles) at `/`, so the book, built into
//! `dist/book/`, is at `/book/`. It listens on 127.0.0.1 only: the explorer is a local tool, and nothing on the
//! network should reach a developer's files. Requests may only read files inside `D`: a path with a `..` segment,
//! plain or percent-encoded, is refused with 403, and whatever the path, the file it names must be inside `D`
//! once symbolic links are resolved. Only GET and HEAD are served, one request per connection.
//!
//! The page itself needs no server logic (it works from any static host); this exists so that `cargo xtask serve`
//! is one command, with the `.wasm` content type right (`application/wasm`, which `WebAssembly.instantiateStreaming`
//! insists on).

use super::CliError;
use std::io::Write as _;
use std::net::Ipv4Addr;
use std::path::{Component, Path, PathBuf};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Arguments of `kafkasim serve`.
#[derive(Debug, Clone)]
pub struct ServeArgs {
    /// The port on 127.0.0.1 (0: any free port; the printed URL says which).
    pub port: u16,
    /// The folder to serve.
    pub dir: PathBuf,
}

/// The longest request head accepted: the page's requests are a few hundred bytes.
const MAX_HEAD_BYTES: usize = 16 * 1024;

/// Serves until the process is stopped. Returns only on a start-up error (a missing folder, a busy port).
pub fn execute(args: &ServeArgs) -> Result<String, CliError> {
    let root = args.dir.canonicalize().ok().filter(|p| p.is_dir()).ok_or_else(|| {
        CliError::bad_input(format!(
            "no folder {} to serve: run `cargo xtask build` first, or pass --dir",
            args.dir.display()
        ))
    })?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .map_err(|e| CliError::bad_input(format!("cannot start the server: {e}")))?;
    runtime.block_on(listen(root, &args.dir, args.port))
}

async fn listen(root: PathBuf, shown: &Path, port: u16) -> Result<String, CliError> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port))
        .await
        .map_err(|e| CliError::bad_input(format!("cannot listen on 127.0.0.1:{port}: {e}")))?;
    let addr = listener.local_addr().map_err(|e| CliError::bad_input(format!("no local address: {e}")))?;
    // The first line is the URL alone, so that scripts (xtask, the tests) can read it. One write, and errors
    // ignored: a script that read the URL and closed the pipe must not bring the server down.
    let banner = format!(
        "http://{addr}/\nServing {} (the book at http://{addr}/book/). Press Ctrl-C to stop.\n",
        shown.display()
    );
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(banner.as_bytes()).and_then(|()| stdout.flush());
    drop(stdout);
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let root = root.clone();
                tokio::spawn(async move {
                    // A client that goes away mid-answer is its own business.
                    let _ = handle(stream, &root).await;
                });
            }
            Err(e) => eprintln!("serve: cannot accept a connection: {e}"),
        }
    }
}

async fn handle(mut stream: TcpStream, root: &Path) -> std::io::Result<()> {
    let Some(head) = read_head(&mut stream).await? else {
        return respond(&mut stream, &Response::error(400, "Bad Request"), false).await;
    };
    let (method, target) = match parse_request_line(&head) {
        Ok(parts) => parts,
        Err(status) => return respond(&mut stream, &Response::error(status, reason(status)), false).await,
    };
    let head_only = method == "HEAD";
    if method != "GET" && !head_only {
        return respond(&mut stream, &Response::error(405, "Method Not Allowed"), false).await;
    }
    let response = match resolve(root, target) {
        // A blocking read: the files are small and local, and it spares tokio's `fs` feature (a thread pool).
        Ok(Resolved::File(path)) => match std::fs::read(&path) {
            Ok(body) => Response { status: 200, content_type: content_type(&path), body, location: None },
            Err(_) => Response::error(404, "Not Found"),
        },
        Ok(Resolved::Redirect(location)) => Response {
            status: 301,
            content_type: "text/plain; charset=utf-8",
            body: b"Moved Permanently\n".to_vec(),
            location: Some(location),
        },
        Err(status) => Response::error(status, reason(status)),
    };
    respond(&mut stream, &response, head_only).await
}

/// Reads up to the blank line that ends the request head. `None` when it is too long or the client stopped.
async fn read_head(stream: &mut TcpStream) -> std::io::Result<Option<String>> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        if buf.len() > MAX_HEAD_BYTES {
            return Ok(None);
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(String::from_utf8(buf).ok())
}

/// An answer.
#[derive(Debug)]
struct Response {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
    location: Option<String>,
}

impl Response {
    fn error(status: u16, text: &str) -> Self {
        Response {
            status,
            content_type: "text/plain; charset=utf-8",
            body: format!("{status} {text}\n").into_bytes(),
            location: None,
        }
    }
}

async fn respond(stream: &mut TcpStream, r: &Response, head_only: bool) -> std::io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-cache\r\n\
         X-Content-Type-Options: nosniff\r\nConnection: close\r\n",
        r.status,
        reason(r.status),
        r.content_type,
        r.body.len()
    );
    if let Some(location) = &r.location {
        head.push_str(&format!("Location: {location}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    if !head_only {
        stream.write_all(&r.body).await?;
    }
    stream.shutdown().await
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "Error",
    }
}

/// The method and the request target of `GET /path HTTP/1.1`. Errors are HTTP status codes.
fn parse_request_line(head: &str) -> Result<(&str, &str), u16> {
    let line = head.lines().next().ok_or(400u16)?;
    let mut parts = line.split(' ');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(method), Some(target), Some(version), None) if version.starts_with("HTTP/1.") => {
            Ok((method, target))
        }
        _ => Err(400),
    }
}

/// What a request target names.
#[derive(Debug, PartialEq, Eq)]
enum Resolved {
    /// A file inside the served folder.
    File(PathBuf),
    /// A folder asked for without its trailing slash: relative links inside it need the slash.
    Redirect(String),
}

/// Maps a request target to a file inside `root` (already canonical). Refuses, with 403, a path that tries to
/// leave the folder (a `..` segment, also percent-encoded, or a backslash); answers 404 for what does not exist
/// and 400 for what is not a path.
fn resolve(root: &Path, target: &str) -> Result<Resolved, u16> {
    let path = target.split(['?', '#']).next().unwrap_or_default();
    if !path.starts_with('/') {
        return Err(400);
    }
    let decoded = percent_decode(path).ok_or(400u16)?;
    let decoded = String::from_utf8(decoded).map_err(|_| 400u16)?;
    if decoded.contains('\0') {
        return Err(400);
    }
    let mut file = root.to_path_buf();
    for segment in decoded.split('/').filter(|s| !s.is_empty()) {
        if segment == ".." || segment == "." || segment.contains('\\') {
            return Err(403);
        }
        // Only plain names reach the path: a segment can never make it absolute or climb out of the root.
        let mut components = Path::new(segment).components();
        match (components.next(), components.next()) {
            (Some(Component::Normal(name)), None) => file.push(name),
            _ => return Err(403),
        }
    }
    let file = file.canonicalize().map_err(|_| 404u16)?;
    if !file.starts_with(root) {
        // A symbolic link that points outside the folder.
        return Err(403);
    }
    if file.is_dir() {
        if !decoded.ends_with('/') {
            return Ok(Resolved::Redirect(format!("{path}/")));
        }
        let index = file.join("index.html");
        return if index.is_file() { Ok(Resolved::File(index)) } else { Err(404) };
    }
    Ok(Resolved::File(file))
}

/// Decodes `%XX` escapes. `None` for a malformed escape.
fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(out)
}

/// The `Content-Type` for a file, by extension.
fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("html") | Some("htm") => "text/html; charset=utf-8",
        Some("js") | Some("mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json") | Some("map") => "application/json",
        Some("wasm") => "application/wasm",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg") | Some("jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("woff") => "font/woff",
        Some("txt") | Some("md") | Some("toml") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A served folder with an index, a page, a wasm file, a book folder and a file outside it.
    fn site(test: &str) -> PathBuf {
        let base = std::env::temp_dir().join(format!("kafkasim-serve-{test}-{}", std::process::id()));
        let root = base.join("dist");
        std::fs::create_dir_all(root.join("book")).expect("temp dir");
        std::fs::write(root.join("index.html"), "<!doctype html>").expect("write");
        std::fs::write(root.join("app.js"), "export {}").expect("write");
        std::fs::write(root.join("book/index.html"), "book").expect("write");
        std::fs::write(base.join("secret.txt"), "secret").expect("write");
        root.canonicalize().expect("exists")
    }

    #[test]
    fn paths_outside_the_folder_are_refused() {
        let root = site("outside");
        for target in
            ["/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E%2fsecret.txt", "/book/../../secret.txt"]
        {
            assert_eq!(resolve(&root, target), Err(403), "{target}");
        }
        assert_eq!(resolve(&root, "/..%5csecret.txt"), Err(403));
        // An absolute path is read as a name inside the folder, where it does not exist.
        assert_eq!(resolve(&root, "//etc/passwd"), Err(404));
        assert_eq!(resolve(&root, "/%2fetc%2fpasswd"), Err(404));
        assert_eq!(resolve(&root, "http://example.com/"), Err(400));
        assert_eq!(resolve(&root, "/%zz"), Err(400));
    }

    #[test]
    fn files_folders_and_queries_resolve_inside_the_folder() {
        let root = site("inside");
        assert_eq!(resolve(&root, "/"), Ok(Resolved::File(root.join("index.html"))));
        assert_eq!(
            resolve(&root, "/?scenario=clean-failover&seed=7"),
            Ok(Resolved::File(root.join("index.html")))
        );
        assert_eq!(resolve(&root, "/app.js"), Ok(Resolved::File(root.join("app.js"))));
        assert_eq!(resolve(&root, "/book"), Ok(Resolved::Redirect("/book/".to_string())));
        assert_eq!(resolve(&root, "/book/"), Ok(Resolved::File(root.join("book/index.html"))));
        assert_eq!(resolve(&root, "/missing.js"), Err(404));
    }

    #[test]
    fn content_types_follow_the_extension() {
        assert_eq!(content_type(Path::new("a/kafkasim_web_bg.wasm")), "application/wasm");
        assert_eq!(content_type(Path::new("index.html")), "text/html; charset=utf-8");
        assert_eq!(content_type(Path::new("app.js")), "text/javascript; charset=utf-8");
        assert_eq!(content_type(Path::new("style.css")), "text/css; charset=utf-8");
        assert_eq!(content_type(Path::new("scenarios.json")), "application/json");
        assert_eq!(content_type(Path::new("blob")), "application/octet-stream");
    }

    #[test]
    fn request_lines_parse_or_fail_with_400() {
        assert_eq!(parse_request_line("GET /a HTTP/1.1\r\nHost: x\r\n\r\n"), Ok(("GET", "/a")));
        assert_eq!(parse_request_line("GET /a\r\n\r\n"), Err(400));
        assert_eq!(parse_request_line("GET /a b HTTP/1.1\r\n\r\n"), Err(400));
    }
}

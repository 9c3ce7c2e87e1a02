//! `kafkasim serve` as a browser meets it: the real binary on a free loopback port, real HTTP requests with a
//! bounded timeout, the content types the page needs, and refusal of every path that tries to leave the folder.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running server, killed when dropped (also when an assertion fails).
struct Server {
    child: Child,
    /// `127.0.0.1:PORT`.
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A folder laid out like `dist/`, with a file beside it that must stay unreachable.
fn site() -> PathBuf {
    let base = std::env::temp_dir().join(format!("kafkasim-serve-it-{}", std::process::id()));
    let dist = base.join("dist");
    std::fs::create_dir_all(dist.join("pkg")).expect("temp dir");
    std::fs::write(dist.join("index.html"), "<!doctype html><title>kafkasim</title>").expect("write");
    std::fs::write(dist.join("app.js"), "export const x = 1;\n").expect("write");
    std::fs::write(dist.join("style.css"), "body {}\n").expect("write");
    std::fs::write(dist.join("scenarios.json"), "[]\n").expect("write");
    std::fs::write(dist.join("pkg/kafkasim_web_bg.wasm"), b"\0asm\x01\0\0\0").expect("write");
    std::fs::write(base.join("secret.txt"), "do not serve me").expect("write");
    dist
}

/// Starts `kafkasim serve --port 0` and reads the URL it prints first.
fn start(dir: &Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kafkasim"))
        .args(["serve", "--port", "0", "--dir"])
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the kafkasim binary starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut first = String::new();
    let mut reader = BufReader::new(stdout);
    let read = reader.read_line(&mut first);
    // Keep reading what the server prints, so that it never writes into a closed pipe.
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    // Owned by a `Server` from here on, so a failed assertion below still kills the process.
    let mut server = Server { child, addr: String::new() };
    assert!(read.is_ok_and(|n| n > 0), "kafkasim serve printed nothing");
    let addr = first
        .trim()
        .strip_prefix("http://")
        .and_then(|rest| rest.strip_suffix('/'))
        .unwrap_or_else(|| panic!("the first line is not the URL: {first:?}"))
        .to_string();
    assert!(addr.starts_with("127.0.0.1:"), "it must listen on loopback only, got {addr}");
    server.addr = addr;
    server
}

/// One HTTP/1.1 request; returns the status code, the Content-Type and the body.
fn get(server: &Server, method: &str, target: &str) -> (u16, String, Vec<u8>) {
    let mut stream = TcpStream::connect(&server.addr).expect("connect to the server");
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    stream.set_write_timeout(Some(Duration::from_secs(10))).expect("timeout");
    write!(stream, "{method} {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", server.addr)
        .expect("send the request");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read the answer within 10 s");
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a complete head");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("a status code");
    let content_type =
        head.lines().find_map(|l| l.strip_prefix("Content-Type: ")).map(str::to_string).unwrap_or_default();
    (status, content_type, raw[split + 4..].to_vec())
}

#[test]
fn serves_the_page_with_the_types_a_browser_needs_and_nothing_outside_its_folder() {
    let dist = site();
    let server = start(&dist);

    let (status, ty, body) = get(&server, "GET", "/");
    assert_eq!((status, ty.as_str()), (200, "text/html; charset=utf-8"));
    assert!(String::from_utf8_lossy(&body).contains("kafkasim"));
    let (status, ty, _) = get(&server, "GET", "/?scenario=clean-failover&seed=7&until=end");
    assert_eq!((status, ty.as_str()), (200, "text/html; charset=utf-8"));
    for (path, want) in [
        ("/app.js", "text/javascript; charset=utf-8"),
        ("/style.css", "text/css; charset=utf-8"),
        ("/scenarios.json", "application/json"),
        ("/pkg/kafkasim_web_bg.wasm", "application/wasm"),
    ] {
        let (status, ty, _) = get(&server, "GET", path);
        assert_eq!((status, ty.as_str()), (200, want), "{path}");
    }
    let (status, _, body) = get(&server, "HEAD", "/app.js");
    assert_eq!((status, body.len()), (200, 0), "HEAD answers without a body");

    for path in ["/../secret.txt", "/%2e%2e/secret.txt", "/pkg/%2E%2E/%2e%2e/secret.txt", "/..%2fsecret.txt"]
    {
        let (status, _, body) = get(&server, "GET", path);
        assert_eq!(status, 403, "{path} must be refused");
        assert!(!String::from_utf8_lossy(&body).contains("do not serve me"));
    }
    for path in ["//etc/passwd", "/%2fetc%2fpasswd", "/book/", "/missing.js"] {
        let (status, _, _) = get(&server, "GET", path);
        assert_eq!(status, 404, "{path}");
    }
    let (status, _, _) = get(&server, "POST", "/");
    assert_eq!(status, 405);
}

#[test]
fn a_missing_folder_is_bad_input_with_a_hint() {
    let out = Command::new(env!("CARGO_BIN_EXE_kafkasim"))
        .args(["serve", "--port", "0", "--dir", "/nonexistent/kafkasim-dist"])
        .output()
        .expect("the kafkasim binary runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cargo xtask build"), "{stderr}");
}

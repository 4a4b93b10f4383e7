"""A real browser against RustStack: headless Chromium (Debian's chromium and
chromium-driver, driven by selenium) loads pages from another origin (a small HTTP server on
another port of this process) that upload with a presigned POST (fetch + FormData, and a
real <form> submitted with a file chosen in an <input type=file>) and with a presigned PUT
(fetch), then read the object back with fetch; the bytes in the store are checked with
boto3. Without a CORS configuration on the bucket the browser's cross-origin requests fail
(the PUT's preflight is refused, so it never reaches the store). When Chromium cannot run
here the tests fail saying why; they never skip. Runs in: the pytest process (and the
chromium processes it starts)."""

import http.server
import json
import os
import shutil
import threading
import urllib.parse

import pytest

CHROMIUM = os.environ.get("RS_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("RS_CHROMEDRIVER", "/usr/bin/chromedriver")


class Pages(http.server.BaseHTTPRequestHandler):
    """The other origin: GET /<name> answers the HTML registered under that name."""

    pages = {}

    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path
        body = self.pages.get(path, "<html><body>%s</body></html>" % path).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def origin():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Pages)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    # another host name and port than the S3 endpoint (http://127.0.0.1:<port>)
    yield "http://localhost:%d" % srv.server_address[1]
    srv.shutdown()
    srv.server_close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    if missing:
        pytest.fail("Chromium cannot run here: %s missing (sh packaging/setup.sh deps installs "
                    "Debian's chromium and chromium-driver)" % ", ".join(missing), pytrace=False)
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as e:
        pytest.fail("selenium is not installed (sh packaging/setup.sh deps): %s" % e,
                    pytrace=False)
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--no-first-run", "--disable-extensions",
                 "--user-data-dir=%s" % tmp_path_factory.mktemp("chromium-profile")):
        opts.add_argument(flag)
    try:
        drv = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    except Exception as e:  # chromium present but unable to start: say so, do not skip
        pytest.fail("Chromium cannot run here: %s" % e, pytrace=False)
    drv.set_script_timeout(30)
    drv.set_page_load_timeout(30)
    yield drv
    drv.quit()


FETCH_JS = """
const [post, putUrl, getUrl, text, done] = [arguments[0], arguments[1], arguments[2],
                                           arguments[3], arguments[arguments.length - 1]];
const out = {};
async function run() {
  try {
    const fd = new FormData();
    for (const [k, v] of Object.entries(post.fields)) fd.append(k, v);
    fd.append("file", new Blob([text + " via POST"], {type: "text/plain"}), "note.txt");
    const r = await fetch(post.url, {method: "POST", body: fd});
    out.post = {status: r.status, etag: r.headers.get("ETag")};
  } catch (e) { out.post = {error: String(e)}; }
  try {
    const r = await fetch(putUrl, {method: "PUT", body: text + " via PUT",
                                   headers: {"Content-Type": "text/plain"}});
    out.put = {status: r.status, etag: r.headers.get("ETag")};
  } catch (e) { out.put = {error: String(e)}; }
  try {
    const r = await fetch(getUrl);
    out.get = {status: r.status, body: await r.text()};
  } catch (e) { out.get = {error: String(e)}; }
  done(out);
}
run();
"""


def _urls(s3, bucket, key_post, key_put):
    post = s3.generate_presigned_post(bucket, key_post, ExpiresIn=300)
    put = s3.generate_presigned_url("put_object", ExpiresIn=300,
                                    Params={"Bucket": bucket, "Key": key_put,
                                            "ContentType": "text/plain"})
    get = s3.generate_presigned_url("get_object", ExpiresIn=300,
                                    Params={"Bucket": bucket, "Key": key_put})
    return post, put, get


def test_browser_uploads_with_cors(s3, bucket, browser, origin):
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [{
        "AllowedOrigins": [origin], "AllowedMethods": ["GET", "PUT", "POST"],
        "AllowedHeaders": ["*"], "ExposeHeaders": ["ETag", "Location"],
        "MaxAgeSeconds": 60}]})
    Pages.pages["/app"] = "<html><head><title>app</title></head><body>app</body></html>"
    browser.get(origin + "/app")
    post, put, get = _urls(s3, bucket, "from-browser/post.txt", "from-browser/put.txt")
    out = browser.execute_async_script(FETCH_JS, post, put, get, "hello from chromium")
    assert out["post"].get("status") == 204, out
    assert out["put"].get("status") == 200, out
    assert out["get"] == {"status": 200, "body": "hello from chromium via PUT"}, out
    got_post = s3.get_object(Bucket=bucket, Key="from-browser/post.txt")
    assert got_post["Body"].read() == b"hello from chromium via POST"
    assert out["post"]["etag"] == got_post["ETag"]  # readable: exposed by the CORS rule
    got_put = s3.get_object(Bucket=bucket, Key="from-browser/put.txt")
    assert got_put["Body"].read() == b"hello from chromium via PUT"
    assert got_put["ContentType"] == "text/plain"
    assert out["put"]["etag"] == got_put["ETag"]


def test_browser_form_submit_with_file_input(s3, bucket, browser, origin, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    done = origin + "/done"
    post = s3.generate_presigned_post(
        bucket, "forms/${filename}", ExpiresIn=300,
        Fields={"success_action_redirect": done, "Content-Type": "image/png"},
        Conditions=[{"success_action_redirect": done}, ["starts-with", "$Content-Type", "image/"]])
    inputs = "".join('<input type="hidden" name="%s" value="%s">' % (k, v.replace('"', "&quot;"))
                     for k, v in post["fields"].items())
    Pages.pages["/form"] = (
        '<html><body><form id="f" action="%s" method="post" enctype="multipart/form-data">%s'
        '<input type="file" name="file" id="file"><input type="submit" id="go"></form>'
        "</body></html>" % (post["url"], inputs))
    payload = bytes(range(256)) * 64 + b"\r\n--boundary-like\r\n"
    src = tmp_path / "picture.png"
    src.write_bytes(payload)
    browser.get(origin + "/form")
    browser.find_element(By.ID, "file").send_keys(str(src))
    browser.find_element(By.ID, "go").click()
    WebDriverWait(browser, 30).until(lambda d: d.current_url.startswith(done))
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(browser.current_url).query)
    assert q["bucket"] == [bucket] and q["key"] == ["forms/picture.png"], browser.current_url
    got = s3.get_object(Bucket=bucket, Key="forms/picture.png")
    assert got["Body"].read() == payload
    assert got["ContentType"] == "image/png"
    assert q["etag"] == [got["ETag"]]


def test_browser_without_cors_configuration_fails(s3, bucket, browser, origin):
    Pages.pages["/app"] = "<html><head><title>app</title></head><body>app</body></html>"
    s3.put_object(Bucket=bucket, Key="existing.txt", Body=b"kept")
    browser.get(origin + "/app")
    post, put, _ = _urls(s3, bucket, "nocors/post.txt", "nocors/put.txt")
    get = s3.generate_presigned_url("get_object", ExpiresIn=300,
                                    Params={"Bucket": bucket, "Key": "existing.txt"})
    out = browser.execute_async_script(FETCH_JS, post, put, get, "blocked")
    for step in ("post", "put", "get"):
        assert "error" in out[step] and "Failed to fetch" in out[step]["error"], out
    # the PUT needed a preflight, which S3 refused: it never reached the store
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="nocors/put")
    assert "Contents" not in listed, json.dumps(listed, default=str)


def test_chromium_is_debians(browser):
    """The browser under test is the Debian package's, not a downloaded build."""
    assert os.path.realpath(shutil.which("chromium") or CHROMIUM).startswith("/usr/")
    assert browser.capabilities["browserName"] in ("chrome", "chromium")

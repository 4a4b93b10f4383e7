"""examples/fastapi-app/app.py: a small FastAPI application meant to run on AWS Lambda
behind API Gateway (REST API or HTTP API), a Lambda function URL or a custom domain name,
here on RustStack. handler.py runs it under Mangum.

Routes:
  GET  /                  JSON: the app's name and the URL it was reached at
  GET  /items/            the items, and the absolute URL of this page (declared WITH a
                          trailing slash: GET /items answers Starlette's 307 redirect to
                          /items/, an absolute URL built from the Host header)
  GET  /items/{item_id}   one item; 404 {"detail": "Item not found"} when unknown
  POST /echo              JSON: the method, path, root path, URL, query (every value,
                          in order), headers and body (JSON if it parses, else text) seen
  GET  /cookies           sets two cookies (two Set-Cookie headers)
  GET  /image.png         a generated PNG (binary response; ?size=N, 1..256, default 16)
  GET  /docs              FastAPI's Swagger UI page; it loads /openapi.json
  GET  /openapi.json      the OpenAPI document
Runs in: the Lambda execution environment (or any ASGI server)."""

import json
import struct
import zlib

from fastapi import FastAPI, HTTPException, Query, Request, Response

app = FastAPI(title="RustStack FastAPI example", version="1.0.0")

ITEMS = {1: {"id": 1, "name": "apple"}, 2: {"id": 2, "name": "pear"}}


@app.get("/")
def root(request: Request):
    return {"app": "fastapi-app", "url": str(request.url)}


@app.get("/items/")
def list_items(request: Request):
    return {"items": [ITEMS[k] for k in sorted(ITEMS)], "url": str(request.url)}


@app.get("/items/{item_id}")
def get_item(item_id: int):
    if item_id not in ITEMS:
        raise HTTPException(status_code=404, detail="Item not found")
    return ITEMS[item_id]


@app.post("/echo")
async def echo(request: Request):
    raw = await request.body()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    try:
        doc = json.loads(text) if text else None
    except ValueError:
        doc = None
    return {
        "method": request.method,
        "path": request.url.path,
        "root_path": request.scope.get("root_path", ""),
        "url": str(request.url),
        "query": [[k, v] for k, v in request.query_params.multi_items()],
        "headers": {k: v for k, v in request.headers.items()},
        "json": doc,
        "body": text,
        "body_length": len(raw),
    }


@app.get("/cookies")
def cookies(response: Response):
    response.set_cookie("session", "abc123", httponly=True)
    response.set_cookie("theme", "dark", path="/")
    return {"cookies": ["session", "theme"]}


def png(width, height):
    """A valid RGB PNG with a gradient (every byte value appears for 16x16)."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    rows = b"".join(
        b"\x00" + b"".join(bytes(((x * 16 + y) % 256, (255 - x * 16) % 256, (y * 16) % 256))
                           for x in range(width))
        for y in range(height))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


@app.get("/image.png")
def image(size: int = Query(16, ge=1, le=256)):
    return Response(content=png(size, size), media_type="image/png")

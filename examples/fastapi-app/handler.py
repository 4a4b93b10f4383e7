"""examples/fastapi-app/handler.py: Lambda handler `handler.handler` running the FastAPI
app under Mangum (lifespan "off": the app has no startup or shutdown work).

With no configuration the app sits at the root of the host, which is right behind an HTTP
API's $default stage, a function URL and a custom domain mapped with no base path:
    handler = Mangum(app, lifespan="off")

Behind a REST API's stage URL (https://<api>.execute-api.<region>.amazonaws.com/<stage>/)
or a custom domain's base path mapping, set the function's environment variable
API_GATEWAY_BASE_PATH to that prefix ("/prod"). Mangum's api_gateway_base_path then strips
the prefix where the event's path carries it (a base path mapping, an HTTP API's named
stage), but Mangum always sets the ASGI root_path to "" (Kludex/mangum#318), so Starlette
would build redirects (GET /items -> /items/) and FastAPI the /docs page's openapi.json
URL without the prefix. `mounted_at` gives the app the prefix as its ASGI root_path (and
puts it in front of the path, as the ASGI spec has it), so every URL the app builds stays
under /<stage>.
Runs in: the Lambda execution environment."""

import os

from mangum import Mangum

from app import app

BASE_PATH = "/" + os.environ.get("API_GATEWAY_BASE_PATH", "").strip("/")


def mounted_at(asgi_app, base):
    """The ASGI app served under the path prefix `base`: root_path is `base` and the path
    starts with it (what Starlette's routing and URL building expect)."""

    async def wrapper(scope, receive, send):
        if scope["type"] in ("http", "websocket"):
            scope = dict(scope, root_path=base, path=base + scope["path"])
        await asgi_app(scope, receive, send)

    return wrapper


if BASE_PATH == "/":
    handler = Mangum(app, lifespan="off")
else:
    handler = Mangum(mounted_at(app, BASE_PATH), lifespan="off",
                     api_gateway_base_path=BASE_PATH)

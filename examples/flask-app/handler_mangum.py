"""examples/flask-app/handler_mangum.py: Lambda handler `handler_mangum.handler` running
the Flask (WSGI) app through asgiref's WsgiToAsgi under Mangum; lifespan "off" because a
WSGI app has no startup/shutdown events.

API Gateway does not pass a Content-Length header to the function, and WsgiToAsgi derives
CONTENT_LENGTH only from the request headers, so Flask would read every request body as
empty (Kludex/mangum#143; apig-wsgi and serverless-wsgi set it themselves). The small
middleware below says that wsgi.input (an in-memory buffer here) ends at the body's end.
Runs in: the Lambda execution environment."""

from asgiref.wsgi import WsgiToAsgi
from mangum import Mangum

from app import app


def terminated_input(wsgi_app):
    def wrapper(environ, start_response):
        environ["wsgi.input_terminated"] = True
        return wsgi_app(environ, start_response)

    return wrapper


handler = Mangum(WsgiToAsgi(terminated_input(app)), lifespan="off")

# A tiny WSGI app for the gunicorn example: says which worker answered and which version runs.
import os


def app(environ, start_response):
    body = 'hello from pid {} (gunicorn, version {})\n'.format(os.getpid(), os.environ.get('APP_VERSION', '1')).encode()
    start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', str(len(body)))])
    return [body]

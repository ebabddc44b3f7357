"""The example WSGI app: counts its visits in Redis (spoken to directly, no client library)."""
import os
import socket


def incr(key):
    """INCR key over RESP; None when Redis is not reachable."""
    try:
        with socket.create_connection(("127.0.0.1", int(os.environ.get("REDIS_PORT", "6390"))), timeout=1) as s:
            s.sendall(b"*2\r\n$4\r\nINCR\r\n$%d\r\n%s\r\n" % (len(key), key))
            reply = s.recv(64)
        return int(reply[1:].split(b"\r\n")[0]) if reply.startswith(b":") else None
    except OSError:
        return None


def application(environ, start_response):
    visits = incr(b"visits")
    body = "hello from uWSGI pid %d: visit %s\n" % (os.getpid(), visits if visits is not None else "? (redis is down)")
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [body.encode()]

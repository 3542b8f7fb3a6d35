"""Static files: WhiteNoise's middleware, answering with the file's bytes instead of a file stream."""

from __future__ import annotations

from django.http import HttpResponse
from whitenoise.middleware import WhiteNoiseMiddleware


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    """WhiteNoise (hashed names, gzip variants, a year of caching for hashed files), ASGI-friendly.

    Stock WhiteNoise returns a FileResponse over a plain file; Django's ASGI handler can only read such
    a stream by loading it whole in a thread, with a "must consume synchronous iterators" warning. Our
    static files are small (the largest, admin's vendored JS, is about 300 kB), so the body is read
    here once and sent as an ordinary response, with the headers (and status: 304, 206) WhiteNoise chose.
    """

    @staticmethod
    def serve(static_file, request) -> HttpResponse:
        answer = static_file.get_response(request.method, request.META)
        body = b""
        if answer.file is not None:
            with answer.file:
                body = answer.file.read()
        response = HttpResponse(body, status=int(answer.status))
        del response["Content-Type"]  # WhiteNoise's own header below names the file's type
        for key, value in answer.headers:
            response[key] = value
        return response

"""Upload handlers that stop parsing a request once it passes the upload limit, so an
oversized file is never written out or kept. (Under ASGI Django has already received the
body by then; a proxy in front, e.g. nginx's client_max_body_size, caps what arrives.)"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import MemoryFileUploadHandler, StopUpload, TemporaryFileUploadHandler


def _limit() -> int:
    return int(settings.PLAYGROUND["UPLOAD_LIMITS"]["max_upload_bytes"])


class _Limited:
    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        # Two files (a graph's edges and nodes) plus form fields may come in one request.
        if content_length and content_length > 2 * _limit() + 1024**2:
            self.request.upload_too_large = True
        return super().handle_raw_input(input_data, META, content_length, boundary, encoding)

    def new_file(self, *args, **kwargs):
        self._received = 0
        return super().new_file(*args, **kwargs)

    def receive_data_chunk(self, raw_data, start):
        self._received = getattr(self, "_received", 0) + len(raw_data)
        if self._received > _limit():
            self.request.upload_too_large = True
        if getattr(self.request, "upload_too_large", False):
            raise StopUpload(connection_reset=True)
        return super().receive_data_chunk(raw_data, start)


class LimitedMemoryFileUploadHandler(_Limited, MemoryFileUploadHandler):
    pass


class LimitedTemporaryFileUploadHandler(_Limited, TemporaryFileUploadHandler):
    pass

"""What a document attached to an appeal may be, whoever attaches it: an integration
over the API or a reviewer on the case page."""

KIB = 1024
MAX_DOCUMENT_BYTES = 20 * KIB * KIB

# The content types taken, with the first bytes each one's files start with. A file
# whose bytes disagree with its declared type is refused: a reviewer's browser opens
# these, so an HTML page posted as a PNG must not get through.
DOCUMENT_TYPES = {
    "application/pdf": (b"%PDF-",),
    "image/tiff": (b"II*\x00", b"MM\x00*"),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "text/plain": (),
}
EXTENSIONS = {
    "application/pdf": ".pdf",
    "image/tiff": ".tif",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "text/plain": ".txt",
}


class DocumentRefused(ValueError):
    """The upload is not a document the plan takes; the message says why."""


def checked_content_type(upload) -> str:
    """The upload's content type, once its size and first bytes agree with it."""
    content_type = (upload.content_type or "").split(";")[0].strip().lower()
    if content_type not in DOCUMENT_TYPES:
        raise DocumentRefused(f"Send one of {', '.join(DOCUMENT_TYPES)}.")
    if upload.size == 0:
        raise DocumentRefused("The file is empty.")
    if upload.size > MAX_DOCUMENT_BYTES:
        raise DocumentRefused(
            f"The file is {upload.size} bytes; a document is at most "
            f"{MAX_DOCUMENT_BYTES} bytes."
        )

    head = upload.read(16)
    upload.seek(0)
    signatures = DOCUMENT_TYPES[content_type]
    if signatures and not head.startswith(signatures):
        raise DocumentRefused(f"The file's content is not {content_type}.")
    if not signatures and b"\x00" in head:
        raise DocumentRefused("A text file has no NUL bytes.")
    return content_type

"""Attachments: per-form upload policies, content checks, streamed storage kept once, virus scan,
upload sets.

A portal declares its limits once, at import time:

    register_policy("msa_message", max_count=3, max_size=5 * MB, extensions=("pdf", "jpg", "jpeg", "png"))

and its view uses them in a few lines:

    form = MessageWriteForm()
    files = AttachmentSet.from_request("msa_message")        # token, new files, « Retirer » buttons
    if files.is_update:                                        # « Ajouter » / « Retirer » without JS:
        return render(TEMPLATE, form=form, files=files,        # redisplay, keep what was typed,
                      has_errors=files.has_errors)             # don't validate
    if request.method == "POST":
        files_ok = files.validate()                            # required, count
        if form.validate_on_submit() and files_ok:
            ...
            files.attach_to(message)                           # then the view commits
            ...
        return render(TEMPLATE, form=form, files=files, has_errors=True, status=422)
    return render(TEMPLATE, form=form, files=files)

Its template, inside `<form method="post" enctype="multipart/form-data" novalidate>`:

    {{ error_summary(files.summary(form)) }}
    {{ attachment_list(files, label="Pièces jointes") }}      (components/attachments.html)

Files are checked by extension *and* content, streamed to disk in chunks under random names in
UPLOAD_FOLDER (outside static/; or streamed on to an S3-compatible bucket, STORAGE_BACKEND=s3),
scanned by clamd when CLAMD_SOCKET is set, kept once whatever the number of attachments using the
same bytes (`link_copy` links a stored file to another subject without a new upload), and only ever
read back through `Attachment.can_download` (blueprints/components/attachments.py).

One job per module: `formats` (what each extension must contain), `policies` (limits per form),
`scan` (clamd), `storage` (stored files and `StoredFile` rows, downloads), `backends` (where the bytes
live: UPLOAD_FOLDER, or an S3-compatible bucket with STORAGE_BACKEND=s3), `sets` (files of a form in
progress), `links` (what files belong to), `named` (files per named document: « Vos justificatifs »),
`purge` (what nothing uses any more)."""
from core.uploads.errors import UploadRejected
from core.uploads.formats import CHUNK_SIZE, FORMATS, HEAD_SIZE, MB, FileFormat, display_name, extension_of, size_label
from core.uploads.links import (GENERATED_POLICY, attach_generated, attachments_of, check_fits, link_copy,
                                resolve_subject)
from core.uploads.policies import UploadPolicy, get_policy, register_policy
from core.uploads.purge import purge_abandoned
from core.uploads.scan import ScanUnavailable, clamd_scan, scan_file
from core.uploads.sets import AttachmentSet, FormWithAttachments
from core.uploads.named import DOCUMENT_FORMATS, NamedAttachmentSet, NamedDocument  # noqa: E402  (after sets)
from core.uploads.storage import (STORAGE_NAME, ReceivedUpload, delete_file, delete_stored, read_stored,
                                  remove_attachments, send_attachment, storage_path, store_bytes, store_upload,
                                  stored_exists, stored_file_for, upload_folder)

__all__ = [
    "CHUNK_SIZE", "DOCUMENT_FORMATS", "FORMATS", "GENERATED_POLICY", "HEAD_SIZE", "MB", "STORAGE_NAME",
    "AttachmentSet", "FileFormat", "FormWithAttachments", "NamedAttachmentSet", "NamedDocument", "ReceivedUpload",
    "ScanUnavailable", "UploadPolicy", "UploadRejected", "attach_generated", "attachments_of", "check_fits",
    "clamd_scan",
    "delete_file", "delete_stored", "display_name", "extension_of", "get_policy", "link_copy", "purge_abandoned",
    "read_stored", "register_policy", "remove_attachments", "resolve_subject", "scan_file", "send_attachment",
    "size_label",
    "storage_path", "store_bytes", "store_upload", "stored_exists", "stored_file_for", "upload_folder",
]

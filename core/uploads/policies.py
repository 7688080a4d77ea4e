"""Upload policies: the limits of one form's attachments, declared once by its portal."""
from dataclasses import dataclass

from core.uploads.formats import FORMATS, size_label


@dataclass(frozen=True)
class UploadPolicy:
    name: str
    max_count: int
    max_size: int
    extensions: tuple[str, ...]

    @property
    def formats_label(self) -> str:
        labels = []
        for ext in self.extensions:
            if FORMATS[ext].label not in labels:
                labels.append(FORMATS[ext].label)
        return ", ".join(labels)

    @property
    def accept(self) -> str:
        return ",".join("." + ext for ext in self.extensions)

    def hint(self, max_count: int | None = None) -> str:
        n = self.max_count if max_count is None else max_count
        return (f"{n} fichier{'s' if n > 1 else ''} maximum, {size_label(self.max_size)} maximum par fichier. "
                f"Formats acceptés : {self.formats_label}.")


_policies: dict[str, UploadPolicy] = {}


def register_policy(name: str, *, max_count: int, max_size: int, extensions: tuple[str, ...]) -> UploadPolicy:
    """Declare the limits of one form's attachments, once, at import time of the portal.

    Registering the same name again with the same limits is harmless; with other limits it is a bug."""
    extensions = tuple(e.lower().lstrip(".") for e in extensions)
    unknown = [e for e in extensions if e not in FORMATS]
    if unknown:
        raise ValueError(f"unknown file formats {unknown}; known: {sorted(FORMATS)}")
    if len(name) > 40 or max_count < 1 or max_size < 1:
        raise ValueError("bad upload policy")
    policy = UploadPolicy(name, max_count, max_size, extensions)
    if _policies.get(name, policy) != policy:
        raise ValueError(f"upload policy {name!r} already registered with other limits")
    _policies[name] = policy
    return policy


def get_policy(name: str) -> UploadPolicy:
    """The policy registered under `name`; KeyError when there is none."""
    return _policies[name]


def is_registered(name: object) -> bool:
    return isinstance(name, str) and name in _policies

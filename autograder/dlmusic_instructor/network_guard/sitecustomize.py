"""Loaded first by every Python process of a grading job: loopback-only sockets.

Not imported by dlmusic: ``dlmusic_instructor.sandbox.network_guard_dir`` copies
this file onto the grading job's ``PYTHONPATH`` as ``sitecustomize.py``. Student
code then gets a ``PermissionError`` saying why when it tries to reach another
host; the kernel's own loopback traffic to nbgrader is unaffected.
"""

import ipaddress
import socket

_LOOPBACK_NAMES = {"localhost", "ip6-localhost"}


def _is_loopback(address):
    if isinstance(address, tuple) and address:
        host = address[0]
    else:
        return True  # AF_UNIX paths and the like
    if isinstance(host, bytes):
        host = host.decode()
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _guard(method):
    def guarded(self, address, *args, **kwargs):
        if not _is_loopback(address):
            raise PermissionError(
                f"network access is disabled while grading (tried to reach {address!r})"
            )
        return method(self, address, *args, **kwargs)

    return guarded


socket.socket.connect = _guard(socket.socket.connect)
socket.socket.connect_ex = _guard(socket.socket.connect_ex)
_sendto = socket.socket.sendto


def _guarded_sendto(self, data, *args):
    if args and not _is_loopback(args[-1]):
        raise PermissionError(f"network access is disabled while grading (tried {args[-1]!r})")
    return _sendto(self, data, *args)


socket.socket.sendto = _guarded_sendto

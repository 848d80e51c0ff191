"""The Python bootstrap :mod:`agentmem.sandbox` runs inside the child before a ``.py`` script.

It installs a PEP 578 audit hook that refuses (and reports on stderr, prefixed with
``[agentmem-sandbox] refused``) writes outside the working folder, reads outside it and the
Python / system paths, sockets and starting processes, then runs the script with ``runpy``.
The hook is a tripwire that makes refusals visible in ``SandboxResult.refused``; the boundary is
bubblewrap (:mod:`agentmem.sandbox_bwrap`).
"""

BOOT = r'''
import json, os, sys
cfg = json.loads(os.environ.pop("AGENTMEM_SANDBOX"))
sys.dont_write_bytecode = True
W = os.path.realpath(cfg["workdir"])
def _roots(paths):
    out = []
    for p in paths:
        if p:
            try:
                out.append(os.path.realpath(p))
            except Exception:
                pass
    return tuple(sorted(set(out)))
TRUSTED = _roots([W] + cfg["read"] + [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, os.path.dirname(sys.executable)] + [p for p in sys.path if p])
SYSTEM = _roots(cfg["system"])
DENY = _roots(cfg["deny"])
DEV = ("/dev/null", "/dev/zero", "/dev/urandom", "/dev/random", "/dev/tty", "/dev/stdin", "/dev/stdout", "/dev/stderr", "/dev/fd", "/proc/self")
NET, SUB = cfg["network"], cfg["subprocess"]
_busy = [False]
def _under(p, roots):
    return any(p == r or p.startswith(r.rstrip("/") + "/") for r in roots)
def _real(p):
    if isinstance(p, int):
        return None
    if isinstance(p, bytes):
        p = os.fsdecode(p)
    p = os.fspath(p)
    return os.path.realpath(p if os.path.isabs(p) else os.path.join(os.getcwd(), p))
def _refuse(what, detail):
    os.write(2, ("%s%s %s\n" % ("[agentmem-sandbox] refused ", what, detail)).encode("utf-8", "replace"))
    raise PermissionError("agentmem sandbox: %s refused: %s" % (what, detail))
def _check_read(p, event):
    if p is None:
        return
    if _under(p, TRUSTED):
        return
    if _under(p, DENY) or not (_under(p, SYSTEM) or _under(p, DEV)):
        _refuse("read", p)
def _check_write(p, event):
    if p is None:
        return
    if not (_under(p, (W,)) or p in ("/dev/null", "/dev/stdout", "/dev/stderr")):
        _refuse("write", p)
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
_PATH_WRITE = {"os.remove", "os.rmdir", "os.mkdir", "os.chmod", "os.chown", "os.truncate", "os.utime", "os.symlink", "os.link", "os.rename", "shutil.rmtree", "shutil.move", "os.setxattr", "os.removexattr", "shutil.chown", "os.mkfifo", "os.mknod"}
_PATH_READ = {"os.listdir", "os.scandir", "glob.glob", "os.chdir", "shutil.copyfile", "shutil.copytree", "os.readlink"}
_PROC = {"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty", "pty.spawn", "os.startfile"}
_SOCK = {"socket.connect", "socket.sendto", "socket.sendmsg", "socket.bind", "socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr", "socket.gethostbyname_ex"}
def _hook(event, args):
    if _busy[0]:
        return
    _busy[0] = True
    try:
        if event == "open":
            path = args[0]
            mode = args[1] if len(args) > 1 else None
            flags = args[2] if len(args) > 2 else 0
            p = _real(path)
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (isinstance(flags, int) and flags & _WRITE_FLAGS)
            if writing:
                _check_write(p, event)
            else:
                _check_read(p, event)
        elif event in _PATH_WRITE:
            for a in args[:2] if event in ("os.rename", "os.symlink", "os.link", "shutil.move") else args[:1]:
                if isinstance(a, (str, bytes, os.PathLike)):
                    _check_write(_real(a), event)
        elif event in _PATH_READ:
            if args and isinstance(args[0], (str, bytes, os.PathLike)):
                _check_read(_real(args[0]), event)
            if event in ("shutil.copyfile", "shutil.copytree") and len(args) > 1:
                _check_write(_real(args[1]), event)
        elif event in _PROC and not SUB:
            _refuse("process", "%s %s" % (event, str(args[0])[:200] if args else ""))
        elif event in _SOCK and not NET:
            _refuse("network", "%s %s" % (event, str(args[1:])[:200]))
    finally:
        _busy[0] = False
sys.addaudithook(_hook)
script = sys.argv[1]
sys.argv = sys.argv[1:]
sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
import runpy
runpy.run_path(script, run_name="__main__")
'''

#!/usr/bin/env python3
"""paranoid_network: what CONFIG_ANDROID_PARANOID_NETWORK=y does to socket(), by a cgroup-BPF program (DEFECTS.md).

Usage: paranoid-network.py CGROUP2_DIR. Loads a BPF_PROG_TYPE_CGROUP_SOCK program that refuses AF_INET and
AF_INET6 sockets (EPERM) to every process whose uid is not 0 and whose gid is not 3003 (AID_INET), and attaches
it to CGROUP2_DIR for inet sock_create (the cgroup keeps it after this script exits; its children inherit it).
Android checks supplementary groups too; a BPF program sees only the primary gid.
"""
import ctypes
import os
import platform
import struct
import sys

SYS_BPF = {'x86_64': 321, 'aarch64': 280, 'armv7l': 386, 'armv8l': 386}[platform.machine()]
BPF_PROG_LOAD, BPF_PROG_ATTACH = 5, 8
BPF_PROG_TYPE_CGROUP_SOCK, BPF_CGROUP_INET_SOCK_CREATE, BPF_F_ALLOW_MULTI = 9, 2, 2
AF_INET, AF_INET6, AID_INET = 2, 10, 3003
HELPER_GET_CURRENT_UID_GID = 15


def insn(code: int, dst: int = 0, src: int = 0, off: int = 0, imm: int = 0) -> bytes:
    return struct.pack('<BBhi', code, (src << 4) | dst, off, imm)


PROGRAM = b''.join([
    insn(0xBF, 6, 1),                      # 0: r6 = ctx (struct bpf_sock *)
    insn(0x61, 2, 6, 4),                   # 1: r2 = ctx->family
    insn(0x15, 2, off=2, imm=AF_INET),     # 2: inet -> 5
    insn(0x15, 2, off=1, imm=AF_INET6),    # 3: inet6 -> 5
    insn(0x05, off=7),                     # 4: other families -> allow
    insn(0x85, imm=HELPER_GET_CURRENT_UID_GID),  # 5: r0 = gid << 32 | uid
    insn(0xBC, 1, 0),                      # 6: w1 = uid
    insn(0x15, 1, off=4, imm=0),           # 7: root -> allow
    insn(0x77, 0, imm=32),                 # 8: r0 = gid
    insn(0x15, 0, off=2, imm=AID_INET),    # 9: AID_INET -> allow
    insn(0xB7, 0, imm=0),                  # 10: deny (EPERM)
    insn(0x95),                            # 11
    insn(0xB7, 0, imm=1),                  # 12: allow
    insn(0x95),                            # 13
])


def bpf(libc, cmd: int, attr: bytes) -> int:
    buf = ctypes.create_string_buffer(attr, len(attr))
    r = libc.syscall(SYS_BPF, cmd, buf, len(attr))
    if r < 0:
        err = ctypes.get_errno()
        raise OSError(err, f'bpf({cmd}): {os.strerror(err)}')
    return r


def main(cgroup_dir: str) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    insns = ctypes.create_string_buffer(PROGRAM, len(PROGRAM))
    license_ = ctypes.create_string_buffer(b'GPL')
    log = ctypes.create_string_buffer(65536)
    # union bpf_attr for BPF_PROG_LOAD: type, insn_cnt, insns, license, log_level, log_size, log_buf, kern_version,
    # prog_flags, prog_name[16], prog_ifindex, expected_attach_type
    attr = struct.pack('=IIQQIIQII16sII', BPF_PROG_TYPE_CGROUP_SOCK, len(PROGRAM) // 8, ctypes.addressof(insns),
                       ctypes.addressof(license_), 1, len(log), ctypes.addressof(log), 0, 0, b'ec_paranoid_net', 0,
                       BPF_CGROUP_INET_SOCK_CREATE).ljust(128, b'\0')
    try:
        prog = bpf(libc, BPF_PROG_LOAD, attr)
    except OSError as e:
        sys.exit(f'{e}\nverifier log:\n{log.value.decode(errors="replace")}')
    cg = os.open(cgroup_dir, os.O_RDONLY | os.O_DIRECTORY)
    bpf(libc, BPF_PROG_ATTACH, struct.pack('=IIII', cg, prog, BPF_CGROUP_INET_SOCK_CREATE, BPF_F_ALLOW_MULTI).ljust(128, b'\0'))
    print(f'{cgroup_dir}: cgroup/sock_create program attached (fd {prog})')


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit('usage: paranoid-network.py CGROUP2_DIR')
    main(sys.argv[1])

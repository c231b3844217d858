#!/usr/bin/env python3
"""data_root_fscrypt: give an empty directory an fscrypt v2 policy, as Android's vold does for /data (DEFECTS.md).

Usage: fscrypt-policy.py MOUNTPOINT DIR. Adds a random 64-byte master key to the filesystem's own keyring
(FS_IOC_ADD_ENCRYPTION_KEY, so every process of the board can use the directory) and sets the policy
(FS_IOC_SET_ENCRYPTION_POLICY) on DIR, which is created empty. Needs an ext4 made with -O encrypt.
"""
import fcntl
import os
import struct
import sys


def ioc(direction: int, nr: int, size: int) -> int:
    return (direction << 30) | (size << 16) | (ord('f') << 8) | nr


# struct fscrypt_add_key_arg: key_spec{type, reserved, u[32]}, raw_size, key_id, __reserved[8], raw[]
ADD_KEY_FIXED = 40 + 4 + 4 + 32
FS_IOC_ADD_ENCRYPTION_KEY = ioc(3, 23, ADD_KEY_FIXED)
FS_IOC_SET_ENCRYPTION_POLICY = ioc(2, 19, 12)
KEY_SPEC_TYPE_IDENTIFIER = 2
# AES-256-XTS contents, AES-256-CTS names, 32-byte name padding: Android's defaults
MODE_AES_256_XTS, MODE_AES_256_CTS, FLAGS_PAD_32 = 1, 4, 3


def main(mountpoint: str, directory: str) -> None:
    raw = os.urandom(64)
    arg = bytearray(struct.pack('=II32sII32s', KEY_SPEC_TYPE_IDENTIFIER, 0, bytes(32), len(raw), 0, bytes(32)) + raw)
    mfd = os.open(mountpoint, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.ioctl(mfd, FS_IOC_ADD_ENCRYPTION_KEY, arg, True)
    finally:
        os.close(mfd)
    identifier = bytes(arg[8:24])
    os.makedirs(directory, exist_ok=True)
    policy = struct.pack('=BBBB4s16s', 2, MODE_AES_256_XTS, MODE_AES_256_CTS, FLAGS_PAD_32, bytes(4), identifier)
    dfd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.ioctl(dfd, FS_IOC_SET_ENCRYPTION_POLICY, policy)
    finally:
        os.close(dfd)
    print(f'{directory}: fscrypt v2 policy, key {identifier.hex()}')


if __name__ == '__main__':
    if len(sys.argv) != 3:
        sys.exit('usage: fscrypt-policy.py MOUNTPOINT DIR')
    main(sys.argv[1], sys.argv[2])

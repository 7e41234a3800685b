// Plain words for the system errors a user meets when a file is opened, read or written. Node's own message
// ends with the path it was given, which for an output is the temporary file: the caller names the file.

const WORDS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EIO: 'input/output error',
  EFBIG: 'file too large',
  ENAMETOOLONG: 'file name too long',
};

/** Why a file operation failed, without the path: "no space left on device", "EBADF: bad file descriptor". */
export function plainReason(cause: unknown): string {
  const err = cause as NodeJS.ErrnoException;
  const words = err.code === undefined ? undefined : WORDS[err.code];
  if (words !== undefined) return words;
  const message = String(err?.message ?? cause);
  // "CODE: description, syscall 'path'": keep what precedes the syscall.
  const cut = err.syscall === undefined ? -1 : message.lastIndexOf(`, ${err.syscall}`);
  return cut > 0 ? message.slice(0, cut) : message;
}

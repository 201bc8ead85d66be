// Errors and colour on stderr: system errors keep their code's case, NO_COLOR= (empty) keeps colour.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeSystemError } from '../../lib/cli/errors.ts';
import { colorWanted } from '../../lib/cli/run.ts';

function sysError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code, syscall: 'write' });
}

test('system errors read as lowercase text with the code as Node spells it', () => {
  assert.equal(describeSystemError(sysError('ENOSPC', 'ENOSPC: no space left on device, write')), 'no space left on device (ENOSPC)');
  assert.equal(describeSystemError(sysError('EIO', 'EIO: i/o error, write')), 'i/o error (EIO)');
  assert.equal(describeSystemError(sysError('EBADF', 'EBADF: bad file descriptor, fsync')), 'bad file descriptor (EBADF)');
  assert.equal(describeSystemError(sysError('EACCES', "EACCES: permission denied, open '/x'")), 'permission denied (EACCES)');
  assert.equal(describeSystemError(new Error('Something odd\nsecond line')), 'something odd');
  assert.equal(describeSystemError('plain'), 'plain');
  assert.doesNotMatch(describeSystemError(sysError('ENOSPC', 'ENOSPC: no space left on device, write')), /eNOSPC/);
});

test('NO_COLOR disables colour only when non-empty, and only a TTY gets colour', () => {
  assert.equal(colorWanted({ isTTY: true }, {}), true);
  assert.equal(colorWanted({ isTTY: true }, { NO_COLOR: '' }), true);
  assert.equal(colorWanted({ isTTY: true }, { NO_COLOR: '1' }), false);
  assert.equal(colorWanted({ isTTY: false }, {}), false);
  assert.equal(colorWanted({}, {}), false);
});

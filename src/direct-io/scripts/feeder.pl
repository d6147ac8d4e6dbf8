#!/usr/bin/perl
# The socket feeder's program (see socket-feeder.ts). Arguments: mode, the system call's number
# (sendfile or splice), the idle time in seconds. fd 3: the socket, left non-blocking (Node reads the answers on it),
# so a full send buffer answers EAGAIN and is waited for, at most the idle time. fd 4: the source,
# a file (mode `file`: sendfile from the offset each command gives, as a packed off_t the kernel
# advances) or a pipe the container writes (mode `pipe`: splice; an empty pipe is waited for
# without limit, a slow container is no stalled server).
#
# Commands, one per line on stdin: `<offset> <length>` (file), `<length>` or `rest` (pipe: the
# pipe must hold nothing more), and `exited` (the container is gone: the pipe's next EOF is its
# end; before that, an EOF only means no writer right now). stdin is read with sysread, so that
# `exited` is seen while a command runs. One answer per line on stdout: `ok N`, then `file N why`
# (the file could not give the bytes), `conn N why` (the connection took no more), `eof N` (the
# pipe ended first) or `extra N` (the pipe held more).
use strict; use Errno qw(EINTR EAGAIN);
my $MAX_MOVE = 8 * 1024 * 1024;
my ($mode, $nr, $idle) = @ARGV;
$| = 1;
open(my $src, '<&=', 4) or die "fd 4: $!\n";
my ($win, $rin, $cin) = ('', '', '');
vec($win, 3, 1) = 1; vec($rin, 4, 1) = 1; vec($cin, 0, 1) = 1;
my $either = $rin | $cin;
my ($buf, @queue, $exited) = ('');
sub take {
  my ($timeout) = @_;
  return unless select(my $r = $cin, undef, undef, $timeout) > 0;
  my $got = sysread(STDIN, $buf, 4096, length $buf);
  exit 0 unless $got;
  while ($buf =~ s/^([^\n]*)\n//) { if ($1 eq 'exited') { $exited = 1 } else { push @queue, $1 } }
}
sub wait_pipe { select(my $r = $either, undef, undef, undef); take(0); }
sub answer { print join(' ', @_), "\n"; }
while (1) {
  take(undef) while !@queue;
  my @args = split ' ', shift @queue;
  if ($args[0] eq 'rest') {
    my $kind = 'ok';
    while (1) {
      my $got = sysread($src, my $byte, 1);
      if ($got) { $kind = 'extra'; last; }
      if (defined $got) { last if $exited; take(0.01); next; }
      if ($! == EAGAIN) { wait_pipe(); next; }
      next if $! == EINTR;
      last;
    }
    answer($kind, 0);
    next;
  }
  my ($offset, $want) = $mode eq 'file' ? @args : (0, $args[0]);
  my $off = pack('q', $offset);
  my ($n, @short) = (0);
  while ($n < $want) {
    my $len = $want - $n; $len = $MAX_MOVE if $len > $MAX_MOVE;
    my $moved = $mode eq 'file' ? syscall($nr, 3, 4, $off, $len) : syscall($nr, 4, 0, 3, 0, $len, 3);
    if ($moved > 0) { $n += $moved; next; }
    if ($moved == 0) {
      if ($mode eq 'file') { @short = ('file', "it ended at byte @{[$offset + $n]}"); last; }
      if ($exited) { @short = ('eof'); last; }
      take(0.01); next;
    }
    if ($! == EAGAIN) {
      my ($r, $w) = ($rin, $win);
      select($r, $w, undef, 0);
      if (!vec($w, 3, 1)) {
        if (select(undef, my $w2 = $win, undef, $idle) == 0) { @short = ('conn', "the connection took nothing for $idle s"); last; }
      } elsif ($mode eq 'pipe' && !vec($r, 4, 1)) {
        wait_pipe();
      }
      next;
    }
    next if $! == EINTR;
    @short = ($mode eq 'file' && ($!{EBADF} || $!{EINVAL} || $!{EIO}) ? 'file' : 'conn', "$!");
    last;
  }
  @short ? answer($short[0], $n, @short[1 .. $#short]) : answer('ok', $n);
}

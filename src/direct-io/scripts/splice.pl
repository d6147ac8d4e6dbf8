#!/usr/bin/perl
# Splices a socket into a FIFO (see splice-copy.ts). Arguments: splice's system call number, the
# bytes to move, the idle time in seconds.
#
# fd 0: the socket (made blocking by libuv, so it is polled with a timeout before each call);
# fd 3: the FIFO, left non-blocking, so a full pipe answers EAGAIN and is waited for without limit
# (a slow container is not a stalled server). SPLICE_F_MOVE | SPLICE_F_NONBLOCK = 3. The count
# goes to stderr: fd 1 is not ours to write.
use strict; use Errno qw(EINTR EAGAIN);
my $MAX_SPLICE = 1024 * 1024;
my ($nr, $want, $idle) = @ARGV;
my ($n, $why) = (0, 'the connection closed');
my $rin = ''; vec($rin, 0, 1) = 1;
my $win = ''; vec($win, 3, 1) = 1;
while ($n < $want) {
  my $ready = select(my $r = $rin, undef, undef, $idle);
  if ($ready < 0) { next if $! == EINTR; $why = "select: $!"; last; }
  if ($ready == 0) { $why = "nothing arrived for $idle s"; last; }
  my $len = $want - $n; $len = $MAX_SPLICE if $len > $MAX_SPLICE;
  my $moved = syscall($nr, 0, 0, 3, 0, $len, 3);
  if ($moved > 0) { $n += $moved; next; }
  last if $moved == 0;
  if ($! == EAGAIN) { select(undef, my $w = $win, undef, undef); next; }
  next if $! == EINTR;
  $why = "$!"; last;
}
print STDERR "spliced $n\n$why\n";
exit($n == $want ? 0 : 3);

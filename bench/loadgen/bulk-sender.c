/*
 * Raw bulk sender for bench/suites/bulk-receive.mjs: writes BYTES to one TCP connection as
 * fast as the socket takes them, from one preallocated buffer (blocking write() of CHUNK
 * bytes at a time), then shuts its side down and waits for the receiver to close.
 *
 *   bulk-sender listen BYTES CHUNK        listens on 127.0.0.1 (a free port), prints "PORT <n>",
 *                                         accepts one connection and sends
 *   bulk-sender connect PORT BYTES CHUNK  connects to 127.0.0.1:PORT and sends
 *
 * At the end it prints
 *
 *   DONE {"bytes":..,"seconds":..,"cpu_s":..}
 *
 * (seconds: from the connection to the receiver's close; cpu_s: this process's own user +
 * system time meanwhile), so the reader can see whether the sender was the bottleneck.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what) {
  fprintf(stderr, "bulk-sender: %s: %s\n", what, strerror(errno));
  exit(2);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
         ru.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv) {
  int listening = argc == 4 && strcmp(argv[1], "listen") == 0;
  int connecting = argc == 5 && strcmp(argv[1], "connect") == 0;
  if (!listening && !connecting) {
    fprintf(stderr, "usage: %s listen BYTES CHUNK | connect PORT BYTES CHUNK\n", argv[0]);
    return 1;
  }
  char **rest = argv + (listening ? 2 : 3);
  unsigned long long total = strtoull(rest[0], NULL, 10);
  size_t chunk = (size_t)strtoul(rest[1], NULL, 10);
  if (total == 0 || chunk == 0) {
    fprintf(stderr, "BYTES and CHUNK must be > 0\n");
    return 1;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  unsigned char *buf = malloc(chunk);
  if (!buf) die("malloc");
  for (size_t i = 0; i < chunk; i++) buf[i] = (unsigned char)(i * 31 + 7); /* touched once, before the clock */

  struct sockaddr_in addr = {.sin_family = AF_INET};
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  int fd;
  if (listening) {
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    if (lfd < 0) die("socket");
    if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0) die("bind");
    if (listen(lfd, 1) < 0) die("listen");
    socklen_t len = sizeof addr;
    if (getsockname(lfd, (struct sockaddr *)&addr, &len) < 0) die("getsockname");
    printf("PORT %d\n", ntohs(addr.sin_port));
    fd = accept(lfd, NULL, NULL);
    if (fd < 0) die("accept");
    close(lfd);
  } else {
    addr.sin_port = htons((uint16_t)atoi(argv[2]));
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) die("socket");
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) die("connect");
  }

  double t0 = now_s(), cpu0 = cpu_seconds();
  unsigned long long sent = 0;
  while (sent < total) {
    size_t want = total - sent < chunk ? (size_t)(total - sent) : chunk;
    ssize_t n = write(fd, buf, want);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("write");
    }
    sent += (unsigned long long)n;
  }
  if (shutdown(fd, SHUT_WR) < 0) die("shutdown");
  /* Wait for the receiver to close: its EOF is the end of the transfer. */
  for (;;) {
    ssize_t n = read(fd, buf, chunk);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ECONNRESET) break;
      die("read");
    }
  }
  double seconds = now_s() - t0, cpu = cpu_seconds() - cpu0;
  close(fd);
  printf("DONE {\"bytes\":%llu,\"seconds\":%.6f,\"cpu_s\":%.6f}\n", sent, seconds, cpu);
  return 0;
}

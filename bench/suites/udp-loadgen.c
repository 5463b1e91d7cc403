/*
 * UDP ping-pong load generator for udp-pingpong.mjs (compiled on the fly when a C compiler
 * is there; the suite falls back to a Node generator otherwise). One connected socket per
 * server endpoint, one datagram in flight on each: send, wait for the echo, send again.
 * Prints "go" when the warm-up is over, then one JSON line: echoes counted in the measured
 * window, its wall and CPU time, and the round-trip latency percentiles.
 *
 * usage: udp-loadgen SIZE WARMUP_MS DURATION_MS PORT...   (server on 127.0.0.1)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_EP 64
#define HIST_US 200000 /* 1 us buckets up to 200 ms */
#define RESEND_NS 200000000ull /* no echo within 200 ms: count it lost and send again */

static uint32_t hist[HIST_US + 1];

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t cpu_us(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000ull +
         (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

static uint64_t percentile(uint64_t count, double p) {
  uint64_t want = (uint64_t)(count * p), seen = 0;
  for (uint64_t us = 0; us <= HIST_US; us++) {
    seen += hist[us];
    if (seen > want) return us;
  }
  return HIST_US;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: udp-loadgen SIZE WARMUP_MS DURATION_MS PORT...\n");
    return 2;
  }
  int size = atoi(argv[1]);
  uint64_t warm = (uint64_t)atol(argv[2]) * 1000000ull, dur = (uint64_t)atol(argv[3]) * 1000000ull;
  int n = argc - 4;
  if (n > MAX_EP) n = MAX_EP;
  struct pollfd pfd[MAX_EP];
  uint64_t sent_at[MAX_EP];
  static char rbuf[65536];
  char *buf = malloc(size > 0 ? (size_t)size : 1);
  memset(buf, 'x', size > 0 ? (size_t)size : 1);

  for (int i = 0; i < n; i++) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)atoi(argv[4 + i]));
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
      perror("udp-loadgen: connect");
      return 1;
    }
    pfd[i].fd = fd;
    pfd[i].events = POLLIN;
  }

  uint64_t measure_from = now_ns() + warm, end = measure_from + dur;
  uint64_t count = 0, lost = 0, cpu0 = 0, t0 = 0;
  int measuring = 0;
  for (int i = 0; i < n; i++) {
    sent_at[i] = now_ns();
    send(pfd[i].fd, buf, (size_t)size, 0);
  }
  for (;;) {
    int r = poll(pfd, (nfds_t)n, 5);
    uint64_t t = now_ns();
    if (!measuring && t >= measure_from) {
      measuring = 1;
      cpu0 = cpu_us();
      t0 = t;
      printf("go\n");
      fflush(stdout);
    }
    if (t >= end) break;
    if (r < 0) {
      if (errno == EINTR) continue;
      perror("udp-loadgen: poll");
      return 1;
    }
    for (int i = 0; i < n; i++) {
      if (pfd[i].revents & POLLIN) {
        while (recv(pfd[i].fd, rbuf, sizeof rbuf, 0) >= 0) {
          uint64_t now = now_ns();
          if (measuring) {
            uint64_t us = (now - sent_at[i]) / 1000;
            hist[us > HIST_US ? HIST_US : us]++;
            count++;
          }
          sent_at[i] = now;
          send(pfd[i].fd, buf, (size_t)size, 0);
        }
      } else if (t - sent_at[i] > RESEND_NS) {
        lost++;
        sent_at[i] = t;
        send(pfd[i].fd, buf, (size_t)size, 0);
      }
    }
  }
  uint64_t t1 = now_ns();
  printf("{\"count\":%llu,\"wall_us\":%llu,\"cpu_us\":%llu,\"p50_us\":%llu,\"p99_us\":%llu,\"lost\":%llu}\n",
         (unsigned long long)count, (unsigned long long)((t1 - t0) / 1000), (unsigned long long)(cpu_us() - cpu0),
         (unsigned long long)percentile(count, 0.50), (unsigned long long)percentile(count, 0.99),
         (unsigned long long)lost);
  return 0;
}

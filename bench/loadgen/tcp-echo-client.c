/*
 * Ping-pong TCP echo load generator for bench/suites/tcp-echo.mjs.
 *
 *   tcp-echo-client HOST PORT CONNS SIZE WARMUP_MS DURATION_MS
 *
 * Opens CONNS connections; each sends SIZE bytes, waits until SIZE bytes came back, and
 * repeats (one request in flight per connection, so every request has a latency). After
 * WARMUP_MS it prints "START" and counts for DURATION_MS, then prints one line
 *
 *   RESULT {"requests":..,"seconds":..,"bytes":..,"p50_us":..,"p99_us":..,"p999_us":..,
 *           "max_us":..,"cpu_s":..,"cpu_share":..}
 *
 * and exits. cpu_s is this process's own user+system time over the measured window, so the
 * reader can see whether the generator, rather than the server, was the bottleneck. One
 * thread, epoll, level-triggered; the bench pins it to a CPU of its own.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct conn {
  int fd;
  size_t sent;     /* bytes of the current request written */
  size_t received; /* bytes of the current response read */
  uint64_t t0;     /* when the current request started, ns */
  int want_out;    /* EPOLLOUT registered */
};

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static double cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
         ru.ru_stime.tv_usec / 1e6;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static void die(const char *what) {
  fprintf(stderr, "tcp-echo-client: %s: %s\n", what, strerror(errno));
  exit(2);
}

static int epfd;
static unsigned char *sendbuf, *recvbuf;
static size_t size, recvcap;
static uint64_t *lat;
static size_t nlat, caplat;
static int measuring;
static uint64_t requests;

static void set_out(struct conn *c, int on) {
  if (c->want_out == on) return;
  struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = c};
  if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0) die("epoll_ctl");
  c->want_out = on;
}

/* Writes as much of the current request as the kernel takes. */
static void pump_out(struct conn *c) {
  while (c->sent < size) {
    ssize_t n = write(c->fd, sendbuf + c->sent, size - c->sent);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EINTR) continue;
      die("write");
    }
    c->sent += (size_t)n;
  }
  set_out(c, c->sent < size);
}

static void start_request(struct conn *c) {
  c->sent = 0;
  c->received = 0;
  c->t0 = now_ns();
  pump_out(c);
}

static void on_readable(struct conn *c) {
  for (;;) {
    ssize_t n = read(c->fd, recvbuf, recvcap);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR) continue;
      die("read");
    }
    if (n == 0) {
      fprintf(stderr, "tcp-echo-client: the server closed a connection\n");
      exit(3);
    }
    c->received += (size_t)n;
    if (c->received > size) { /* more bytes than were sent: an echo bug */
      fprintf(stderr, "tcp-echo-client: received more bytes than sent\n");
      exit(4);
    }
    if (c->received == size) {
      if (measuring) {
        requests++;
        if (nlat == caplat) {
          caplat = caplat ? caplat * 2 : 1 << 16;
          lat = realloc(lat, caplat * sizeof *lat);
          if (!lat) die("realloc");
        }
        lat[nlat++] = now_ns() - c->t0;
      }
      start_request(c);
      return; /* the next response cannot be here yet */
    }
    if ((size_t)n < recvcap) return; /* drained what the kernel had */
  }
}

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: %s HOST PORT CONNS SIZE WARMUP_MS DURATION_MS\n", argv[0]);
    return 1;
  }
  const char *host = argv[1];
  int port = atoi(argv[2]);
  int nconns = atoi(argv[3]);
  size = (size_t)strtoul(argv[4], NULL, 10);
  uint64_t warmup_ns = (uint64_t)atoll(argv[5]) * 1000000u;
  uint64_t duration_ns = (uint64_t)atoll(argv[6]) * 1000000u;
  if (nconns <= 0 || size == 0) {
    fprintf(stderr, "CONNS and SIZE must be > 0\n");
    return 1;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);

  sendbuf = malloc(size);
  recvcap = size < 65536 ? 65536 : size;
  recvbuf = malloc(recvcap);
  if (!sendbuf || !recvbuf) die("malloc");
  for (size_t i = 0; i < size; i++) sendbuf[i] = (unsigned char)(i * 31 + 7);

  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
    fprintf(stderr, "bad IPv4 address %s\n", host);
    return 1;
  }
  epfd = epoll_create1(0);
  if (epfd < 0) die("epoll_create1");
  struct conn *conns = calloc((size_t)nconns, sizeof *conns);
  if (!conns) die("calloc");
  for (int i = 0; i < nconns; i++) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) die("socket");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) die("connect");
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) die("fcntl");
    conns[i].fd = fd;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &conns[i]};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl");
  }

  struct epoll_event *events = calloc((size_t)nconns, sizeof *events);
  if (!events) die("calloc");
  uint64_t t_begin = now_ns();
  uint64_t t_start = t_begin + warmup_ns, t_end = t_start + duration_ns;
  uint64_t t_measure = 0;
  double cpu0 = 0;
  for (int i = 0; i < nconns; i++) start_request(&conns[i]);

  for (;;) {
    uint64_t t = now_ns();
    if (!measuring && t >= t_start) {
      measuring = 1;
      t_measure = t;
      cpu0 = cpu_seconds();
      printf("START\n");
    }
    if (measuring && t >= t_end) break;
    uint64_t deadline = measuring ? t_end : t_start;
    int timeout_ms = (int)((deadline - t + 999999) / 1000000);
    int n = epoll_wait(epfd, events, nconns, timeout_ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int i = 0; i < n; i++) {
      struct conn *c = events[i].data.ptr;
      if (events[i].events & (EPOLLERR | EPOLLHUP)) {
        fprintf(stderr, "tcp-echo-client: connection error or hangup\n");
        return 3;
      }
      if (events[i].events & EPOLLOUT) pump_out(c);
      if (events[i].events & EPOLLIN) on_readable(c);
    }
  }
  uint64_t t_stop = now_ns();
  double cpu = cpu_seconds() - cpu0;
  double seconds = (double)(t_stop - t_measure) / 1e9;

  qsort(lat, nlat, sizeof *lat, cmp_u64);
#define PCT(p) (nlat ? (double)lat[(size_t)((double)(nlat - 1) * (p))] / 1000.0 : 0.0)
  printf("RESULT {\"requests\":%llu,\"seconds\":%.6f,\"bytes\":%llu,\"p50_us\":%.1f,\"p99_us\":%.1f,"
         "\"p999_us\":%.1f,\"max_us\":%.1f,\"cpu_s\":%.6f,\"cpu_share\":%.4f}\n",
         (unsigned long long)requests, seconds, (unsigned long long)(requests * size), PCT(0.5), PCT(0.99),
         PCT(0.999), nlat ? (double)lat[nlat - 1] / 1000.0 : 0.0, cpu, seconds > 0 ? cpu / seconds : 0.0);
  for (int i = 0; i < nconns; i++) close(conns[i].fd);
  return 0;
}

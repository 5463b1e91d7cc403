/*
 * Ping-pong TCP echo load generator for bench/suites/tcp-echo.mjs.
 *
 *   tcp-echo-client [--tls=CA_FILE] [--depth=N] HOST SIZE CONNS WARMUP_MS DURATION_MS SLICE_MS PORT [PORT...]
 *   tcp-echo-client [--depth=N] unix SIZE CONNS WARMUP_MS DURATION_MS SLICE_MS PATH [PATH...]
 *
 * HOST `unix`: the servers listen on the Unix socket paths given in place of the ports.
 * --depth=N (default 1): each connection keeps N requests in flight instead of one (a
 * pipelined, bulk echo: the connection's stream never waits for a round trip while N > 1);
 * a request's latency is from its first byte written to its last byte echoed.
 *
 * With --tls (only in a build with -DWITH_OPENSSL, linked with -lssl -lcrypto): every
 * connection does a TLS handshake first (blocking, before the clock starts), trusting the CA
 * certificates in CA_FILE and checking the server's certificate against HOST (an IP address),
 * and then the same ping-pong runs over TLS records (SSL_read/SSL_write on the non-blocking
 * socket). Everything else below is the same for both.
 *
 * Opens CONNS connections to each server (one PORT per server variant). Each connection sends
 * SIZE bytes, waits until SIZE bytes came back, and repeats: one request in flight per
 * connection, so every request has a latency. The servers take turns in slices of SLICE_MS:
 * only one server's connections are active at a time; at the end of a slice no new request
 * starts, and once the last one came back the next server's turn begins. Alternating this
 * finely puts every server through the same conditions of a noisy machine (other tenants,
 * frequency changes), so their ratios are far steadier than runs one after another.
 *
 * After WARMUP_MS (whole rounds of slices) it prints "START", measures whole rounds of
 * slices for at least DURATION_MS, and prints, for each server in PORT order,
 *
 *   RESULT <index> {"requests":..,"seconds":..,"bytes":..,"p50_us":..,"p99_us":..,
 *                   "p999_us":..,"max_us":..,"cpu_s":..}
 *
 * (seconds: the time that server's connections were active; cpu_s: the generator's own CPU
 * time meanwhile), then
 *
 *   END {"cpu_s":..,"cpu_share":..,"seconds":..}
 *
 * with this process's own user+system time over the measured window, so the reader can see
 * whether the generator, rather than the server, was the bottleneck. One thread, epoll,
 * level-triggered; the bench pins it to a CPU of its own.
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
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#ifdef WITH_OPENSSL
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#endif

struct conn {
  int fd;
#ifdef WITH_OPENSSL
  SSL *ssl; /* NULL without --tls */
#endif
  int target;
  uint64_t issued;   /* requests started */
  uint64_t done;     /* requests whose echo came back whole */
  uint64_t sent;     /* bytes written, of issued * size */
  uint64_t received; /* bytes read */
  uint64_t *t0;      /* when each request in flight started, ns (a ring of depth entries) */
  int want_out;      /* EPOLLOUT registered */
};

struct target {
  struct conn *conns;
  uint64_t requests;
  uint64_t active_ns; /* measured time this target's connections were active */
  double cpu_s;       /* this generator's CPU time during those slices */
  uint64_t *lat;
  size_t nlat, caplat;
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

#ifdef WITH_OPENSSL
static SSL_CTX *tls_ctx; /* NULL without --tls */

static void die_tls(const char *what) {
  fprintf(stderr, "tcp-echo-client: %s\n", what);
  ERR_print_errors_fp(stderr);
  exit(2);
}
#endif

/*
 * read()/write() on a connection, or SSL_read()/SSL_write() over TLS. Both return the byte
 * count, 0 at the peer's end, or -1 with errno EAGAIN when the call has to wait for the socket
 * (for TLS, whichever way the record layer needs) or another errno on failure.
 */
static ssize_t conn_read(struct conn *c, void *buf, size_t len) {
#ifdef WITH_OPENSSL
  if (c->ssl) {
    int n = SSL_read(c->ssl, buf, len > (size_t)INT32_MAX ? INT32_MAX : (int)len);
    if (n > 0) return n;
    int e = SSL_get_error(c->ssl, n);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) { errno = EAGAIN; return -1; }
    if (e == SSL_ERROR_ZERO_RETURN) return 0;
    if (e != SSL_ERROR_SYSCALL) die_tls("SSL_read");
    if (errno == 0) errno = ECONNRESET;
    return -1;
  }
#endif
  return read(c->fd, buf, len);
}

static ssize_t conn_write(struct conn *c, const void *buf, size_t len) {
#ifdef WITH_OPENSSL
  if (c->ssl) {
    int n = SSL_write(c->ssl, buf, len > (size_t)INT32_MAX ? INT32_MAX : (int)len);
    if (n > 0) return n;
    int e = SSL_get_error(c->ssl, n);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) { errno = EAGAIN; return -1; }
    if (e != SSL_ERROR_SYSCALL) die_tls("SSL_write");
    if (errno == 0) errno = EPIPE;
    return -1;
  }
#endif
  return write(c->fd, buf, len);
}

static int epfd;
static unsigned char *sendbuf, *recvbuf;
static size_t size, recvcap;
static int nconns;
static int depth = 1; /* requests in flight per connection */
static struct target *targets;
static int measuring; /* counting requests and latencies */
static int draining;  /* the current slice is over: no new requests */
static int in_flight; /* requests in flight (all on the current target) */

static void set_out(struct conn *c, int on) {
  if (c->want_out == on) return;
  struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = c};
  if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0) die("epoll_ctl");
  c->want_out = on;
}

/* Writes as much of the requests started as the kernel takes. */
static void pump_out(struct conn *c) {
  uint64_t owed = c->issued * size;
  while (c->sent < owed) {
    size_t at = (size_t)(c->sent % size);
    ssize_t n = conn_write(c, sendbuf + at, size - at);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EINTR) continue;
      die("write");
    }
    c->sent += (uint64_t)n;
  }
  set_out(c, c->sent < owed);
}

/* Starts requests until `depth` are in flight on the connection. */
static void start_requests(struct conn *c) {
  while (c->issued - c->done < (uint64_t)depth) {
    c->t0[c->issued % (uint64_t)depth] = now_ns();
    c->issued++;
    in_flight++;
  }
  pump_out(c);
}


static void record(struct target *t, uint64_t ns) {
  t->requests++;
  if (t->nlat == t->caplat) {
    t->caplat = t->caplat ? t->caplat * 2 : 1 << 16;
    t->lat = realloc(t->lat, t->caplat * sizeof *t->lat);
    if (!t->lat) die("realloc");
  }
  t->lat[t->nlat++] = ns;
}

static int is_tls(const struct conn *c) {
#ifdef WITH_OPENSSL
  return c->ssl != NULL;
#else
  (void)c;
  return 0;
#endif
}

static void on_readable(struct conn *c) {
  for (;;) {
    ssize_t n = conn_read(c, recvbuf, recvcap);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR) continue;
      die("read");
    }
    if (n == 0) {
      fprintf(stderr, "tcp-echo-client: server %d closed a connection\n", c->target);
      exit(3);
    }
    c->received += (uint64_t)n;
    if (c->received > c->sent) { /* bytes nobody asked for: an echo bug */
      fprintf(stderr, "tcp-echo-client: server %d sent more bytes than it was sent\n", c->target);
      exit(4);
    }
    int completed = 0;
    while (c->received >= (c->done + 1) * size) {
      in_flight--;
      if (measuring) record(&targets[c->target], now_ns() - c->t0[c->done % (uint64_t)depth]);
      c->done++;
      completed = 1;
    }
    /* Everything written came back: the next response cannot be here yet. */
    int caught_up = c->received == c->sent;
    if (completed && !draining) start_requests(c);
    if (caught_up) return;
    /* A short read drained what the kernel had; TLS returns one record per call, so it reads on. */
    if ((size_t)n < recvcap && !is_tls(c)) return;
  }
}

static void start_slice(int t) {
  draining = 0;
  for (int i = 0; i < nconns; i++) start_requests(&targets[t].conns[i]);
}

int main(int argc, char **argv) {
  const char *cafile = NULL;
  for (;;) {
    if (argc > 1 && strncmp(argv[1], "--tls=", 6) == 0) cafile = argv[1] + 6;
    else if (argc > 1 && strncmp(argv[1], "--depth=", 8) == 0) depth = atoi(argv[1] + 8);
    else break;
    argv++;
    argc--;
  }
  if (argc < 8 || depth < 1) {
    fprintf(stderr, "usage: %s [--tls=CA_FILE] [--depth=N] HOST|unix SIZE CONNS WARMUP_MS DURATION_MS SLICE_MS PORT|PATH [...]\n", argv[0]);
    return 1;
  }
  if (cafile) {
#ifdef WITH_OPENSSL
    tls_ctx = SSL_CTX_new(TLS_client_method());
    if (!tls_ctx) die_tls("SSL_CTX_new");
    if (SSL_CTX_load_verify_locations(tls_ctx, cafile, NULL) != 1) die_tls("SSL_CTX_load_verify_locations");
    SSL_CTX_set_verify(tls_ctx, SSL_VERIFY_PEER, NULL);
    /* SSL_write returns after each record sent, so `sent` advances as with write(). */
    SSL_CTX_set_mode(tls_ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
#else
    fprintf(stderr, "tcp-echo-client: --tls needs a build with -DWITH_OPENSSL\n");
    return 1;
#endif
  }
  const char *host = argv[1];
  size = (size_t)strtoul(argv[2], NULL, 10);
  nconns = atoi(argv[3]);
  uint64_t warmup_ns = (uint64_t)atoll(argv[4]) * 1000000u;
  uint64_t duration_ns = (uint64_t)atoll(argv[5]) * 1000000u;
  uint64_t slice_ns = (uint64_t)atoll(argv[6]) * 1000000u;
  int ntargets = argc - 7;
  if (nconns <= 0 || size == 0 || slice_ns == 0) {
    fprintf(stderr, "CONNS, SIZE and SLICE_MS must be > 0\n");
    return 1;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);

  sendbuf = malloc(size);
  recvcap = size < 262144 ? 262144 : size;
  recvbuf = malloc(recvcap);
  if (!sendbuf || !recvbuf) die("malloc");
  for (size_t i = 0; i < size; i++) sendbuf[i] = (unsigned char)(i * 31 + 7);

  epfd = epoll_create1(0);
  if (epfd < 0) die("epoll_create1");
  targets = calloc((size_t)ntargets, sizeof *targets);
  if (!targets) die("calloc");
  int unix_sockets = strcmp(host, "unix") == 0;
  for (int t = 0; t < ntargets; t++) {
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[7 + t]))};
    struct sockaddr_un uaddr = {.sun_family = AF_UNIX};
    if (unix_sockets) {
      if (strlen(argv[7 + t]) >= sizeof uaddr.sun_path) {
        fprintf(stderr, "socket path too long: %s\n", argv[7 + t]);
        return 1;
      }
      strcpy(uaddr.sun_path, argv[7 + t]);
    } else if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
      fprintf(stderr, "bad IPv4 address %s\n", host);
      return 1;
    }
    targets[t].conns = calloc((size_t)nconns, sizeof(struct conn));
    if (!targets[t].conns) die("calloc");
    for (int i = 0; i < nconns; i++) {
      struct conn *c = &targets[t].conns[i];
      int fd = socket(unix_sockets ? AF_UNIX : AF_INET, SOCK_STREAM, 0);
      if (fd < 0) die("socket");
      int one = 1;
      if (!unix_sockets) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      int rc = unix_sockets ? connect(fd, (struct sockaddr *)&uaddr, sizeof uaddr)
                            : connect(fd, (struct sockaddr *)&addr, sizeof addr);
      if (rc < 0) die("connect");
      c->t0 = calloc((size_t)depth, sizeof *c->t0);
      if (!c->t0) die("calloc");
#ifdef WITH_OPENSSL
      if (tls_ctx) { /* the handshake, blocking: the servers answer from their own processes */
        c->ssl = SSL_new(tls_ctx);
        if (!c->ssl || SSL_set_fd(c->ssl, fd) != 1) die_tls("SSL_new");
        if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), host) != 1) die_tls("X509_VERIFY_PARAM_set1_ip_asc");
        if (SSL_connect(c->ssl) != 1) die_tls("TLS handshake (SSL_connect)");
      }
#endif
      int fl = fcntl(fd, F_GETFL);
      if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) die("fcntl");
      c->fd = fd;
      c->target = t;
      struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
      if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl");
    }
  }

  int maxev = nconns * ntargets;
  struct epoll_event *events = calloc((size_t)maxev, sizeof *events);
  if (!events) die("calloc");
  uint64_t t_begin = now_ns();
  uint64_t t_measure = 0;
  double cpu0 = 0;
  int cur = 0;
  uint64_t slice_start = now_ns(), slice_end = slice_start + slice_ns;
  double slice_cpu = cpu_seconds();
  start_slice(cur);

  for (;;) {
    uint64_t t = now_ns();
    if (!draining && t >= slice_end) draining = 1;
    if (draining && in_flight == 0) {
      /* The slice is over and every request of it came back. */
      if (measuring) {
        targets[cur].active_ns += t - slice_start;
        targets[cur].cpu_s += cpu_seconds() - slice_cpu;
      }
      cur = (cur + 1) % ntargets;
      if (cur == 0) { /* a whole round of slices: the phase may change here */
        if (!measuring && t - t_begin >= warmup_ns) {
          measuring = 1;
          t_measure = t;
          cpu0 = cpu_seconds();
          printf("START\n");
        } else if (measuring && t - t_measure >= duration_ns) {
          break;
        }
      }
      slice_cpu = cpu_seconds();
      slice_start = now_ns();
      slice_end = slice_start + slice_ns;
      start_slice(cur);
      continue;
    }
    int timeout_ms = draining ? 1000 : (int)((slice_end - t + 999999) / 1000000);
    int n = epoll_wait(epfd, events, maxev, timeout_ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int i = 0; i < n; i++) {
      struct conn *c = events[i].data.ptr;
      if (events[i].events & (EPOLLERR | EPOLLHUP)) {
        fprintf(stderr, "tcp-echo-client: server %d: connection error or hangup\n", c->target);
        return 3;
      }
      /* Over TLS a write may wait for input (the record layer): retry it on any event. */
      if ((events[i].events & EPOLLOUT) || (is_tls(c) && c->sent < c->issued * size)) pump_out(c);
      if (events[i].events & EPOLLIN) on_readable(c);
    }
  }
  uint64_t t_stop = now_ns();
  double cpu = cpu_seconds() - cpu0;
  double seconds = (double)(t_stop - t_measure) / 1e9;

  for (int t = 0; t < ntargets; t++) {
    struct target *tg = &targets[t];
    qsort(tg->lat, tg->nlat, sizeof *tg->lat, cmp_u64);
#define PCT(p) (tg->nlat ? (double)tg->lat[(size_t)((double)(tg->nlat - 1) * (p))] / 1000.0 : 0.0)
    printf("RESULT %d {\"requests\":%llu,\"seconds\":%.6f,\"bytes\":%llu,\"p50_us\":%.1f,\"p99_us\":%.1f,"
           "\"p999_us\":%.1f,\"max_us\":%.1f,\"cpu_s\":%.6f}\n",
           t, (unsigned long long)tg->requests, (double)tg->active_ns / 1e9,
           (unsigned long long)(tg->requests * size), PCT(0.5), PCT(0.99), PCT(0.999),
           tg->nlat ? (double)tg->lat[tg->nlat - 1] / 1000.0 : 0.0, tg->cpu_s);
  }
  printf("END {\"cpu_s\":%.6f,\"cpu_share\":%.4f,\"seconds\":%.6f}\n", cpu, seconds > 0 ? cpu / seconds : 0.0,
         seconds);
  for (int t = 0; t < ntargets; t++)
    for (int i = 0; i < nconns; i++) {
#ifdef WITH_OPENSSL
      if (targets[t].conns[i].ssl) SSL_free(targets[t].conns[i].ssl);
#endif
      close(targets[t].conns[i].fd);
    }
  return 0;
}

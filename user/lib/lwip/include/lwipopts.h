/*
 * lwipopts.h: the lwIP 2.1.3 configuration of the netstack Task
 * (docs/NETWORK.md, "The lwIP build"). Every choice here is one the stack
 * Task depends on; change them there, with the reason.
 *
 * NO_SYS=1: lwIP runs in one thread, the Task's single event loop; its raw
 * (callback) API is the only API, and sys_check_timeouts() is called from
 * that loop. There is no lwIP socket or netconn layer: the socket protocol
 * (schema/socket.capnp) is built on the raw API by the Task itself.
 *
 * Memory is lwIP's own: a static heap (MEM_SIZE) and fixed pools, so the
 * Task's footprint is fixed at link time and no lwIP allocation reaches the
 * runtime's malloc.
 */
#ifndef VECTRA_LWIPOPTS_H
#define VECTRA_LWIPOPTS_H

#define NO_SYS 1
#define SYS_LIGHTWEIGHT_PROT 0
#define LWIP_SOCKET 0
#define LWIP_NETCONN 0
#define LWIP_TIMERS 1

#define MEM_ALIGNMENT 8
#define MEM_SIZE (256 * 1024)
#define MEMP_NUM_PBUF 64
#define MEMP_NUM_TCP_PCB 64
#define MEMP_NUM_TCP_PCB_LISTEN 16
#define MEMP_NUM_UDP_PCB 16
#define MEMP_NUM_TCP_SEG 256
#define PBUF_POOL_SIZE 128

#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define LWIP_ICMP 1
#define LWIP_RAW 1
#define LWIP_UDP 1
#define LWIP_TCP 1
#define LWIP_DHCP 1
#define LWIP_AUTOIP 0
#define LWIP_IGMP 0
#define LWIP_DNS 0
#define IP_REASSEMBLY 1
#define IP_FRAG 1

#define TCP_MSS 1460
#define TCP_WND (16 * TCP_MSS)
#define TCP_SND_BUF (16 * TCP_MSS)
#define TCP_SND_QUEUELEN (4 * TCP_SND_BUF / TCP_MSS)
#define TCP_LISTEN_BACKLOG 1
#define LWIP_TCP_KEEPALIVE 1
#define LWIP_SO_RCVBUF 0

/* The loopback interface (127.0.0.1) and delivery to the stack's own
 * addresses through it, drained by netif_poll_all() in the Task's loop. */
#define LWIP_HAVE_LOOPIF 1
#define LWIP_NETIF_LOOPBACK 1
#define LWIP_LOOPBACK_MAX_PBUFS 64
#define LWIP_NETIF_STATUS_CALLBACK 1
#define LWIP_NETIF_LINK_CALLBACK 0
#define LWIP_SINGLE_NETIF 0

#define LWIP_STATS 0
#define LWIP_CHECKSUM_ON_COPY 1
/* port.c: the sum eight bytes at a time (lwIP's default: two) */
#define LWIP_CHKSUM vlwip_chksum
unsigned short vlwip_chksum(const void *data, int len);
#define CHECKSUM_CHECK_IP 1
#define CHECKSUM_CHECK_TCP 1
#define CHECKSUM_CHECK_UDP 1

#define LWIP_DEBUG 0

#endif

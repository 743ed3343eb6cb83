"""``podpath trace``: the path of one connection, hop by hop, and the verdict of each endpoint.

A connection flows one way through six stages, one module each (stage 3 has a second one for
provider profiles); a stage hands the connection on to the stages below it (and asks the
engines), never to one above:

1. :mod:`~podpath.analyze.trace.source` -- who opens it: a pod, an IP, ``internet``;
2. :mod:`~podpath.analyze.trace.name` -- the name, resolved as the source pod would (DNS,
   ExternalName aliases, names forwarded upstream); from outside, public DNS to an entry point;
   what policy on DNS means for the lookups (:mod:`~podpath.analyze.trace.dns_reach`);
3. :mod:`~podpath.analyze.trace.address` -- what the address is: a pod IP, a ClusterIP, a
   load balancer (``loadBalancerSourceRanges``), an externalIP, a node (NodePort, hostPort,
   host network; source NAT per ``externalTrafficPolicy``), outside; with ``--provider``,
   :mod:`~podpath.analyze.trace.load_balancer` -- the load balancer as the provider builds it
   (scheme, target mode, where source ranges apply, the source the pods see), and the
   entry points the provider implements itself;
4. :mod:`~podpath.analyze.trace.entry` -- an Ingress controller or Gateway: its pods, the
   route that matches (the routing engine's answer), the backends;
5. :mod:`~podpath.analyze.trace.endpoints` -- the ready endpoints that serve the client;
6. :mod:`~podpath.analyze.trace.policy` -- NetworkPolicy on each hop (a thin call into
   :mod:`podpath.engine.policy`).

What was asked is parsed once (:mod:`~podpath.analyze.trace.question`: ``--port`` and the
kind of DST), and :func:`podpath.analyze.trace.dispatch.trace` picks the pipeline once from
the kinds of SRC and DST: :mod:`~podpath.analyze.trace.inside` (from a pod or node),
:mod:`~podpath.analyze.trace.outside` (from outside to an address or Service) or
:mod:`~podpath.analyze.trace.url` (from outside to a URL, once per entry point serving it).
Each stage returns an immutable :class:`~podpath.analyze.trace.values.Leg` (hops, notes,
targets, endpoint verdicts, drop reason); a stage puts its leg before the rest of the path
(``leg + rest``) and the pipeline makes the :class:`~podpath.analyze.trace.values.TraceResult`.

Where the next rules go (each one stage):

- a cloud provider's load balancer profile (which path: LB -> node -> pod or LB -> pod; the
  source IP the pod sees; where source ranges apply): stage 3,
  :func:`~podpath.analyze.trace.load_balancer.provider_load_balancer` (called from
  :func:`~podpath.analyze.trace.address.load_balancer`) hands stage 5 a
  :class:`~podpath.analyze.trace.endpoints.NodeForward` seen from the provider's source; the
  rules themselves are :mod:`podpath.engine.providers`';
- LoadBalancer ``ipMode`` ``VIP`` vs ``Proxy`` for in-cluster clients: stage 3,
  :func:`~podpath.analyze.trace.address.at_service` -- a load-balancer address from inside is a
  :class:`~podpath.analyze.trace.endpoints.ServiceAddress` (VIP, kube-proxy short-circuits it);
  with ``Proxy`` it goes out through :func:`~podpath.analyze.trace.address.load_balancer` as
  from outside (:mod:`~podpath.analyze.trace.ip_mode`);
- ``--family ipv4|ipv6``: stage 1 sets :attr:`Source.family`; every choice among several
  addresses (the source's, a pod's, a ClusterIP) already goes through
  :func:`~podpath.analyze.trace.values.pick`, and stage 2 asks AAAA for family 6;
- ``trafficDistribution`` (PreferClose, PreferSameZone, PreferSameNode): stage 5,
  :func:`~podpath.analyze.trace.endpoints.serving`, which already decides which ready endpoints
  serve a client (``internalTrafficPolicy``/``externalTrafficPolicy: Local`` today).
"""

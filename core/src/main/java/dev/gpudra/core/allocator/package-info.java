/**
 * A structured-parameters allocator for {@code resource.k8s.io/v1}, with the semantics of
 * Kubernetes' own allocator ({@code k8s.io/dynamic-resource-allocation/structured}, the
 * "incubating" variant that kube-scheduler 1.37 uses by default), so that what the driver
 * controller allocates or explains is what the scheduler would do.
 *
 * <h2>Entry point</h2>
 *
 * {@link dev.gpudra.core.allocator.Allocator} is built from a cluster snapshot (all ResourceSlices,
 * DeviceClasses, claims already holding devices) and answers {@code allocate(node, claims, budget)}
 * with an {@link dev.gpudra.core.allocator.AllocationOutcome}: {@code Allocated} (one {@code
 * AllocationResult} per claim, shaped like {@code status.allocation}), {@code Unsatisfiable} (with
 * {@link dev.gpudra.core.allocator.RequestDiagnosis reasons per request}), {@code Invalid} (input
 * that fails on every node, where Kubernetes returns an error) or {@code BudgetExceeded}.
 *
 * <h2>Semantics (as upstream)</h2>
 *
 * <ul>
 *   <li><b>Pools.</b> Slices are relevant to a node by {@code nodeName}, {@code nodeSelector},
 *       {@code allNodes} or, with {@code perDeviceNodeSelection}, by any device's own node
 *       selection. Per pool only the newest generation counts. A pool whose slice count falls short
 *       of {@code resourceSliceCount} is incomplete (not allocated from; {@code All} requests fail
 *       with an error); if a newer generation exists elsewhere the pool is ignored. Duplicate
 *       device names or counter sets, or consumption of unknown counters, make a pool invalid.
 *       Pools are searched by (driver, pool name), slices by name, devices in slice order.
 *   <li><b>Search.</b> First fit, depth first, with backtracking: claims in order, requests in
 *       order, {@code firstAvailable} sub-requests in order (the first that leads to a full
 *       solution wins); within a request combinations, not permutations. There is no scoring.
 *   <li><b>Requests.</b> {@code ExactCount} with {@code count}; {@code All} takes every matching
 *       device of the node's pools and fails if any is unavailable; class selectors then request
 *       selectors (CEL, see {@link dev.gpudra.core.cel}); admin access may reuse devices that other
 *       claims hold; at most 32 results per claim.
 *   <li><b>Devices in use.</b> Devices held by allocated claims are skipped, except that admin
 *       access results block nothing and devices with {@code allowMultipleAllocations} are shared
 *       by capacity.
 *   <li><b>Constraints.</b> {@code matchAttribute} (same type and value on all governed devices)
 *       and {@code distinctAttribute} (pairwise different), scoped by request or {@code
 *       request/sub} name; monotonic, so the search prunes as soon as one fails.
 *   <li><b>Taints.</b> {@code NoSchedule} and {@code NoExecute} device taints must be tolerated by
 *       the request ({@code Equal}/{@code Exists}, key and effect matching); other effects are
 *       ignored.
 *   <li><b>Partitionable devices.</b> Devices consuming shared counters fit only while no counter
 *       of their pool is over-committed, counting devices other claims hold.
 *   <li><b>Consumable capacity.</b> Devices that allow multiple allocations are shared: each share
 *       consumes the requested capacity (rounded up to the policy's valid values or range step;
 *       unrequested capacities take the policy default or everything), and all shares must fit the
 *       capacity. Results get a share ID (deterministic here, a random UUID upstream) and the
 *       consumed capacity.
 *   <li><b>Result.</b> Class configs once per class, claim configs for the requests they name (none
 *       listed when they name all), and a node selector: the node for node-local devices, the
 *       merged slice selectors otherwise, none for devices usable everywhere.
 * </ul>
 *
 * <h2>Bounds</h2>
 *
 * The search is exponential in the worst case, as upstream's. {@link
 * dev.gpudra.core.allocator.AllocationBudget} bounds it by steps (reproducible) and wall time
 * (upstream uses a 10 s filter timeout); hitting either gives {@code BudgetExceeded} with the step
 * count.
 *
 * <h2>Not supported (yet)</h2>
 *
 * <ul>
 *   <li>Binding conditions ({@code bindingConditions}, {@code bindsToNode} is honoured only for the
 *       node selector): devices with binding conditions are never selected, as upstream with that
 *       feature off.
 *   <li>Alpha features: list-type attributes ({@code includes()}), derived attributes, device
 *       compatibility groups, fractional capacity ranges, optional node operations.
 *   <li>DeviceTaintRules: taints must already be applied to the slices passed in.
 *   <li>Unsatisfiable diagnostics look at each request on its own; combinations that fail because
 *       of constraints, counters or capacity are reported as one claim-level reason.
 * </ul>
 *
 * <p>Conformance with upstream is checked by {@code AllocatorConformanceIT}, which runs both
 * allocators on hand-written and seeded random scenarios and requires identical verdicts and
 * allocations.
 */
package dev.gpudra.core.allocator;

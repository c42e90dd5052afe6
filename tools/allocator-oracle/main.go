// Command allocator-oracle runs the upstream Kubernetes structured allocator
// (k8s.io/dynamic-resource-allocation/structured) on scenarios and prints its
// verdicts, so that the Java allocator can be compared against it.
//
// Input (stdin): one scenario per line, JSON:
//
//	{"id": "...", "node": Node, "slices": [ResourceSlice], "classes": [DeviceClass],
//	 "allocatedClaims": [ResourceClaim], "claims": [ResourceClaim], "repeat": n}
//
// With "repeat" > 0 the scenario is also timed: after a warm-up, the allocator
// is built once and Allocate runs "repeat" times ("allocateNanos", mean per
// call), then allocator construction plus Allocate runs "repeat" times
// ("buildAndAllocateNanos").
//
// Output (stdout): one line per scenario, JSON:
//
//	{"id": "...", "outcome": "allocated"|"unsatisfiable"|"error",
//	 "allocations": [AllocationResult], "error": "..."}
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	v1 "k8s.io/api/core/v1"
	resourceapi "k8s.io/api/resource/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/dynamic-resource-allocation/cel"
	"k8s.io/dynamic-resource-allocation/structured"
)

type scenario struct {
	ID              string                       `json:"id"`
	Node            *v1.Node                     `json:"node"`
	Slices          []*resourceapi.ResourceSlice `json:"slices"`
	Classes         []*resourceapi.DeviceClass   `json:"classes"`
	AllocatedClaims []*resourceapi.ResourceClaim `json:"allocatedClaims"`
	Claims          []*resourceapi.ResourceClaim `json:"claims"`
	Repeat          int                          `json:"repeat"`
}

type verdict struct {
	ID          string                         `json:"id"`
	Outcome     string                         `json:"outcome"`
	Allocations []resourceapi.AllocationResult `json:"allocations,omitempty"`
	Error       string                         `json:"error,omitempty"`
	Nanos       int64                          `json:"nanos"`

	AllocateNanos         int64 `json:"allocateNanos,omitempty"`
	BuildAndAllocateNanos int64 `json:"buildAndAllocateNanos,omitempty"`
}

type classLister map[string]*resourceapi.DeviceClass

func (l classLister) List() ([]*resourceapi.DeviceClass, error) {
	out := make([]*resourceapi.DeviceClass, 0, len(l))
	for _, c := range l {
		out = append(out, c)
	}
	return out, nil
}

func (l classLister) Get(name string) (*resourceapi.DeviceClass, error) {
	if c, ok := l[name]; ok {
		return c, nil
	}
	return nil, fmt.Errorf("device class %s does not exist", name)
}

// features are the defaults of kube-scheduler 1.37 that select the
// incubating allocator (binding conditions are left out: they need the
// claim status round trip that a single allocation does not model).
var features = structured.Features{
	AdminAccess:          true,
	ConsumableCapacity:   true,
	DeviceTaints:         true,
	PartitionableDevices: true,
	PrioritizedList:      true,
}

var celCache = cel.NewCache(100, cel.Features{EnableConsumableCapacity: true})

// allocatedState mirrors how the scheduler's claim tracker accounts for
// allocated claims: admin access never blocks, shared devices count per
// share and by consumed capacity, everything else is exclusive.
func allocatedState(claims []*resourceapi.ResourceClaim) structured.AllocatedState {
	state := structured.AllocatedState{
		AllocatedDevices:         sets.New[structured.DeviceID](),
		AllocatedSharedDeviceIDs: sets.New[structured.SharedDeviceID](),
		AggregatedCapacity:       structured.NewConsumedCapacityCollection(),
	}
	for _, claim := range claims {
		if claim.Status.Allocation == nil {
			continue
		}
		for _, r := range claim.Status.Allocation.Devices.Results {
			if r.AdminAccess != nil && *r.AdminAccess {
				continue
			}
			id := structured.MakeDeviceID(r.Driver, r.Pool, r.Device)
			if r.ShareID == nil {
				state.AllocatedDevices.Insert(id)
				continue
			}
			state.AllocatedSharedDeviceIDs.Insert(structured.MakeSharedDeviceID(id, r.ShareID))
			if r.ConsumedCapacity != nil {
				state.AggregatedCapacity.Insert(structured.NewDeviceConsumedCapacity(id, r.ConsumedCapacity))
			}
		}
	}
	return state
}

func run(s *scenario) verdict {
	v := verdict{ID: s.ID}
	classes := classLister{}
	for _, c := range s.Classes {
		classes[c.Name] = c
	}
	ctx := context.Background()
	start := time.Now()
	alloc, err := structured.NewAllocator(ctx, features, allocatedState(s.AllocatedClaims), classes, s.Slices, celCache)
	if err != nil {
		v.Outcome, v.Error = "error", err.Error()
		return v
	}
	results, err := alloc.Allocate(ctx, s.Node, s.Claims)
	v.Nanos = time.Since(start).Nanoseconds()
	switch {
	case errors.Is(err, structured.ErrFailedAllocationOnNode):
		v.Outcome, v.Error = "unsatisfiable", err.Error()
	case err != nil:
		v.Outcome, v.Error = "error", err.Error()
	case results == nil:
		v.Outcome = "unsatisfiable"
	default:
		v.Outcome, v.Allocations = "allocated", results
	}
	if s.Repeat > 0 {
		v.AllocateNanos, v.BuildAndAllocateNanos = timeScenario(s, classes)
	}
	return v
}

// timeScenario measures the mean cost of one Allocate call, and of building
// the allocator plus one Allocate call, over s.Repeat runs after as many
// warm-up runs.
func timeScenario(s *scenario, classes classLister) (int64, int64) {
	ctx := context.Background()
	state := allocatedState(s.AllocatedClaims)
	alloc, err := structured.NewAllocator(ctx, features, state, classes, s.Slices, celCache)
	if err != nil {
		return -1, -1
	}
	for i := 0; i < s.Repeat; i++ {
		_, _ = alloc.Allocate(ctx, s.Node, s.Claims)
	}
	start := time.Now()
	for i := 0; i < s.Repeat; i++ {
		_, _ = alloc.Allocate(ctx, s.Node, s.Claims)
	}
	allocate := time.Since(start).Nanoseconds() / int64(s.Repeat)
	start = time.Now()
	for i := 0; i < s.Repeat; i++ {
		a, _ := structured.NewAllocator(ctx, features, state, classes, s.Slices, celCache)
		_, _ = a.Allocate(ctx, s.Node, s.Claims)
	}
	return allocate, time.Since(start).Nanoseconds() / int64(s.Repeat)
}

func main() {
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	dec := json.NewDecoder(in)
	enc := json.NewEncoder(out)
	for {
		var s scenario
		if err := dec.Decode(&s); err != nil {
			if err.Error() == "EOF" {
				return
			}
			fmt.Fprintln(os.Stderr, "allocator-oracle: bad scenario:", err)
			os.Exit(2)
		}
		if err := enc.Encode(run(&s)); err != nil {
			fmt.Fprintln(os.Stderr, "allocator-oracle:", err)
			os.Exit(2)
		}
		out.Flush()
	}
}

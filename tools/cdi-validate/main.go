// Command cdi-validate judges a directory of CDI spec files with the reference CDI
// implementation (tags.cncf.io/container-device-interface): it loads the directory with
// the reference cache, reports every spec error, and injects each device on its own into
// a sample OCI runtime spec. The result is printed as one JSON document on stdout.
//
// Exit status: 0 when the directory loaded without errors and every device injected,
// 1 when any spec or injection error was found, 2 on bad usage.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"

	oci "github.com/opencontainers/runtime-spec/specs-go"
	"tags.cncf.io/container-device-interface/pkg/cdi"
)

// report is the whole output document.
type report struct {
	SpecDir string              `json:"specDir"`
	Specs   []specReport        `json:"specs"`
	Errors  map[string][]string `json:"errors"`
	Devices []deviceReport      `json:"devices"`
}

type specReport struct {
	Path       string   `json:"path"`
	Kind       string   `json:"kind"`
	CdiVersion string   `json:"cdiVersion"`
	Devices    []string `json:"devices"`
}

// deviceReport is what the reference implementation injected for one fully-qualified device.
type deviceReport struct {
	Name           string       `json:"name"`
	InjectError    string       `json:"injectError,omitempty"`
	DeviceNodes    []deviceNode `json:"deviceNodes"`
	Env            []string     `json:"env"`
	Mounts         []mount      `json:"mounts"`
	Hooks          []hook       `json:"hooks"`
	AdditionalGIDs []uint32     `json:"additionalGids"`
	CgroupDevices  []cgroupRule `json:"cgroupDevices"`
}

type deviceNode struct {
	Path     string  `json:"path"`
	Type     string  `json:"type"`
	Major    int64   `json:"major"`
	Minor    int64   `json:"minor"`
	FileMode *uint32 `json:"fileMode,omitempty"`
	UID      *uint32 `json:"uid,omitempty"`
	GID      *uint32 `json:"gid,omitempty"`
}

type mount struct {
	Destination string   `json:"destination"`
	Source      string   `json:"source"`
	Type        string   `json:"type"`
	Options     []string `json:"options"`
}

type hook struct {
	Stage   string   `json:"stage"`
	Path    string   `json:"path"`
	Args    []string `json:"args"`
	Env     []string `json:"env"`
	Timeout *int     `json:"timeout,omitempty"`
}

type cgroupRule struct {
	Allow  bool   `json:"allow"`
	Type   string `json:"type"`
	Major  *int64 `json:"major,omitempty"`
	Minor  *int64 `json:"minor,omitempty"`
	Access string `json:"access"`
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: cdi-validate <cdi-spec-dir>")
		os.Exit(2)
	}
	dir := os.Args[1]
	cache, _ := cdi.NewCache(cdi.WithSpecDirs(dir), cdi.WithAutoRefresh(false))
	failed := false
	if err := cache.Refresh(); err != nil {
		// Refresh returns the joined per-spec errors; they are reported below one by one.
		failed = true
	}

	out := report{SpecDir: dir, Errors: map[string][]string{}, Specs: []specReport{}, Devices: []deviceReport{}}
	for path, errs := range cache.GetErrors() {
		for _, err := range errs {
			out.Errors[path] = append(out.Errors[path], err.Error())
			failed = true
		}
	}
	for _, vendor := range cache.ListVendors() {
		for _, spec := range cache.GetVendorSpecs(vendor) {
			names := []string{}
			for _, d := range spec.Devices {
				names = append(names, d.Name)
			}
			out.Specs = append(out.Specs, specReport{
				Path: spec.GetPath(), Kind: spec.Kind, CdiVersion: spec.Version, Devices: names,
			})
		}
	}
	sort.Slice(out.Specs, func(i, j int) bool { return out.Specs[i].Path < out.Specs[j].Path })

	for _, name := range cache.ListDevices() {
		dr := inject(cache, name)
		if dr.InjectError != "" {
			failed = true
		}
		out.Devices = append(out.Devices, dr)
	}

	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if failed {
		os.Exit(1)
	}
}

// inject applies one device to a fresh sample OCI spec, as a runtime would for a container
// that requested only that device, and reports the resulting edits.
func inject(cache *cdi.Cache, name string) deviceReport {
	spec := &oci.Spec{
		Version: oci.Version,
		Process: &oci.Process{Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}},
		Root:    &oci.Root{Path: "rootfs"},
		Linux:   &oci.Linux{},
	}
	dr := deviceReport{Name: name, DeviceNodes: []deviceNode{}, Env: []string{}, Mounts: []mount{},
		Hooks: []hook{}, AdditionalGIDs: []uint32{}, CgroupDevices: []cgroupRule{}}
	if _, err := cache.InjectDevices(spec, name); err != nil {
		dr.InjectError = err.Error()
		return dr
	}
	// The sample spec's own PATH is not part of what the device injected.
	for _, e := range spec.Process.Env[1:] {
		dr.Env = append(dr.Env, e)
	}
	dr.AdditionalGIDs = append(dr.AdditionalGIDs, spec.Process.User.AdditionalGids...)
	for _, d := range spec.Linux.Devices {
		n := deviceNode{Path: d.Path, Type: d.Type, Major: d.Major, Minor: d.Minor, UID: d.UID, GID: d.GID}
		if d.FileMode != nil {
			m := uint32(*d.FileMode)
			n.FileMode = &m
		}
		dr.DeviceNodes = append(dr.DeviceNodes, n)
	}
	if spec.Linux.Resources != nil {
		for _, r := range spec.Linux.Resources.Devices {
			dr.CgroupDevices = append(dr.CgroupDevices, cgroupRule{Allow: r.Allow, Type: r.Type, Major: r.Major, Minor: r.Minor, Access: r.Access})
		}
	}
	for _, m := range spec.Mounts {
		opts := m.Options
		if opts == nil {
			opts = []string{}
		}
		dr.Mounts = append(dr.Mounts, mount{Destination: m.Destination, Source: m.Source, Type: m.Type, Options: opts})
	}
	if spec.Hooks != nil {
		addHooks(&dr, "prestart", spec.Hooks.Prestart) //nolint:staticcheck // still injected by CDI
		addHooks(&dr, "createRuntime", spec.Hooks.CreateRuntime)
		addHooks(&dr, "createContainer", spec.Hooks.CreateContainer)
		addHooks(&dr, "startContainer", spec.Hooks.StartContainer)
		addHooks(&dr, "poststart", spec.Hooks.Poststart)
		addHooks(&dr, "poststop", spec.Hooks.Poststop)
	}
	return dr
}

func addHooks(dr *deviceReport, stage string, hooks []oci.Hook) {
	for _, h := range hooks {
		args, env := h.Args, h.Env
		if args == nil {
			args = []string{}
		}
		if env == nil {
			env = []string{}
		}
		dr.Hooks = append(dr.Hooks, hook{Stage: stage, Path: h.Path, Args: args, Env: env, Timeout: h.Timeout})
	}
}

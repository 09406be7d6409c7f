// Derives minikube's outputs for the contract fixtures from minikube's own types and printers,
// for the outputs that need a running cluster (which cannot run here). Run from the root of the
// k8s.io/minikube module at the version named in ../README.md (see ../record.sh):
//
//	go run ./hack/contract-derive OUT_DIR [MINIKUBE_HOME]
//
// With MINIKUBE_HOME it also saves a profile's config there, as `minikube start` would.
//
// JSON key names and order come from marshalling minikube's structs (cluster.Status,
// config.Profile) as the commands do; the values are those of a realistic case, written by hand.
// Outputs that need no cluster are recorded from the real binary instead (record.sh).
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"k8s.io/minikube/pkg/drivers/kic"
	"k8s.io/minikube/pkg/minikube/cluster"
	"k8s.io/minikube/pkg/minikube/config"
	"k8s.io/minikube/pkg/minikube/constants"
	"k8s.io/minikube/pkg/version"
)

type fixture struct {
	Tool     string   `json:"tool"`
	Version  string   `json:"version"`
	Source   string   `json:"source"`
	Argv     []string `json:"argv"`
	ExitCode int      `json:"exitCode"`
	Stdout   string   `json:"stdout"`
	Stderr   string   `json:"stderr"`
}

var outDir string

func write(name, files string, argv []string, exitCode int, stdout string) {
	source := fmt.Sprintf("kubernetes/minikube@%s (%s): derived from %s", version.GetVersion(), version.GetGitCommitID(), files)
	f := fixture{Tool: "minikube", Version: version.GetVersion(), Source: source, Argv: argv, ExitCode: exitCode, Stdout: stdout}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(f); err != nil {
		panic(err)
	}
	if err := os.WriteFile(filepath.Join(outDir, name+".json"), buf.Bytes(), 0o644); err != nil {
		panic(err)
	}
}

func marshal(v any) string {
	js, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(js)
}

// statusJSON is cmd/minikube/cmd/status.go:statusJSON: one node prints an object, several an array, no newline.
func statusJSON(sts []*cluster.Status) string {
	if len(sts) == 1 {
		return marshal(sts[0])
	}
	return marshal(sts)
}

// exitCode is cmd/minikube/cmd/status.go:exitCode.
func exitCode(sts []*cluster.Status) int {
	c := 0
	for _, st := range sts {
		if st.Host != "Running" {
			c |= 1
		}
		if (st.APIServer != "Running" && st.APIServer != cluster.Irrelevant) || st.Kubelet != "Running" {
			c |= 2
		}
		if st.Kubeconfig != cluster.Configured && st.Kubeconfig != cluster.Irrelevant {
			c |= 4
		}
	}
	return c
}

func status(name, source string, sts ...*cluster.Status) {
	write(name, source, []string{"status", "-p", "minikube", "-o", "json"}, exitCode(sts), statusJSON(sts))
}

// clusterConfig is what `minikube start -p NAME --driver docker --container-runtime docker --cpus 2
// --memory 3g --kubernetes-version stable [--ports=...]` saves (cmd/minikube/cmd/start_flags.go:
// generateNewConfigFromFlags), for the fields that matter here; the rest keep realistic defaults.
func clusterConfig(name string, ports []string, nodes ...config.Node) *config.ClusterConfig {
	k8s := constants.DefaultKubernetesVersion
	for i := range nodes {
		nodes[i].KubernetesVersion = k8s
		nodes[i].ContainerRuntime = constants.Docker
	}
	return &config.ClusterConfig{
		Name:                  name,
		KicBaseImage:          kic.BaseImage,
		Memory:                3072,
		CPUs:                  2,
		DiskSize:              20000,
		Driver:                "docker",
		DockerEnv:             []string{},
		ContainerVolumeMounts: []string{},
		InsecureRegistry:      []string{},
		RegistryMirror:        []string{},
		HostOnlyCIDR:          "192.168.59.1/24",
		HyperkitVSockPorts:    []string{},
		KVMNetwork:            "default",
		KVMQemuURI:            "qemu:///system",
		KVMNUMACount:          1,
		APIServerPort:         8443,
		DockerOpt:             []string{},
		NFSShare:              []string{},
		NFSSharesRoot:         "/nfsshares",
		HostOnlyNicType:       "virtio",
		NatNicType:            "virtio",
		SSHUser:               "root",
		SSHPort:               22,
		KubernetesConfig: config.KubernetesConfig{
			KubernetesVersion:      k8s,
			ClusterName:            name,
			Namespace:              "default",
			APIServerName:          "minikubeCA",
			DNSDomain:              "cluster.local",
			ContainerRuntime:       constants.Docker,
			NetworkPlugin:          "cni",
			ServiceCIDR:            "10.96.0.0/12",
			ShouldLoadCachedImages: true,
		},
		Nodes:             nodes,
		Addons:            map[string]bool{"default-storageclass": true, "storage-provisioner": true},
		VerifyComponents:  map[string]bool{"apiserver": true, "system_pods": true},
		StartHostTimeout:  6 * time.Minute,
		ExposedPorts:      ports,
		CertExpiration:    26280 * time.Hour,
		MountString:       "",
		Mount9PVersion:    "9p2000.L",
		MountGID:          "docker",
		MountMSize:        262144,
		MountOptions:      []string{},
		MountType:         "9p",
		MountUID:          "docker",
		AutoPauseInterval: time.Minute,
	}
}

// profileList is cmd/minikube/cmd/config/profile_list.go:printProfilesJSON: a map (so "invalid"
// sorts before "valid"), written with os.Stdout.Write: no newline.
func profileList(valid ...*config.Profile) string {
	if valid == nil {
		valid = []*config.Profile{}
	}
	return marshal(map[string]any{"valid": valid, "invalid": []*config.Profile{}})
}

func main() {
	outDir = os.Args[1]
	const statusSrc = "cmd/minikube/cmd/status.go:statusJSON,exitCode; pkg/minikube/cluster/status.go:Status,NodeStatus"

	running := func(name string, worker bool) *cluster.Status {
		st := &cluster.Status{Name: name, Host: "Running", Kubelet: "Running", APIServer: "Running", Kubeconfig: cluster.Configured, Worker: worker}
		if worker { // NodeStatus: a worker's apiserver and kubeconfig are Irrelevant
			st.APIServer, st.Kubeconfig = cluster.Irrelevant, cluster.Irrelevant
		}
		return st
	}
	status("status-running", statusSrc, running("minikube", false))
	// NodeStatus: a host that is not Running gives its state to every component.
	status("status-stopped", statusSrc, &cluster.Status{Name: "minikube", Host: "Stopped", Kubelet: "Stopped", APIServer: "Stopped", Kubeconfig: "Stopped"})
	// `minikube pause` stops the kubelet and freezes the apiserver (kverify.APIServerStatus: Paused).
	status("status-paused", statusSrc, &cluster.Status{Name: "minikube", Host: "Running", Kubelet: "Stopped", APIServer: "Paused", Kubeconfig: cluster.Configured})
	status("status-multinode", statusSrc, running("minikube", false), running("minikube-m02", true))

	// docker-env.go:dockerEnvVars (TCP, docker runtime, no ssh-agent: SSH_AGENT_PID "0" becomes "")
	// and dockerSetScript (--shell none -o json: json.Marshal of the map, keys sorted, then "\n").
	// The node IP and port on Linux; with Docker Desktop (NeedsPortForward) it is 127.0.0.1 and a forwarded port.
	env := map[string]string{
		constants.DockerTLSVerifyEnv:       "1",
		constants.DockerHostEnv:            "tcp://192.168.49.2:2376",
		constants.DockerCertPathEnv:        "/home/user/.minikube/certs",
		constants.MinikubeActiveDockerdEnv: "minikube",
		constants.SSHAuthSock:              "",
		constants.SSHAgentPID:              "",
	}
	write("docker-env", "cmd/minikube/cmd/docker-env.go:dockerEnvVars,dockerSetScript",
		[]string{"docker-env", "-p", "minikube", "--shell", "none", "-o", "json"}, 0, marshal(env)+"\n")

	const listSrc = "cmd/minikube/cmd/config/profile_list.go:printProfilesJSON; pkg/minikube/config/types.go:Profile,ClusterConfig; pkg/minikube/cluster/status.go:GetState (Status \"OK\")"
	profile := func(ports []string) *config.Profile {
		return &config.Profile{Name: "minikube", Status: "OK", Active: true, ActiveKubeContext: true,
			Config: clusterConfig("minikube", ports, config.Node{IP: "192.168.49.2", Port: 8443, ControlPlane: true, Worker: true})}
	}
	listArgv := []string{"profile", "list", "-o", "json"}
	write("profile-list-ports", listSrc, listArgv, 0, profileList(profile([]string{"127.0.0.1:30000:30000", "127.0.0.1:30001:30001"})))
	// start's --ports is a StringSlice defaulting to []string{}: viper gives [] (not nil) when it is not passed.
	write("profile-list-no-ports", listSrc, listArgv, 0, profileList(profile([]string{})))

	// ip.go: out.Ln(n.IP) of the control-plane node.
	write("ip", "cmd/minikube/cmd/ip.go", []string{"ip", "-p", "minikube"}, 0, "192.168.49.2\n")

	// machine/cache_images.go:ListImages, --format short: every repo tag of every node's images,
	// sorted in reverse, joined by "\n", then "\n" (so an empty store prints one empty line). The
	// containerd and cri-o runtimes list through `crictl images`, which gives full references.
	tags := []string{"registry.k8s.io/pause:3.10.1", "docker.io/library/todo-backend:0123456789ab", "docker.io/library/todo-frontend:ba9876543210", "registry.k8s.io/etcd:3.6.5-0"}
	sort.Sort(sort.Reverse(sort.StringSlice(tags)))
	imageSrc := "cmd/minikube/cmd/image.go:listImageCmd; pkg/minikube/machine/cache_images.go:ListImages; pkg/minikube/cruntime/cri.go:listCRIImages"
	write("image-ls-short", imageSrc, []string{"image", "ls", "-p", "minikube", "--format", "short"}, 0, strings.Join(tags, "\n")+"\n")
	write("image-ls-short-empty", imageSrc, []string{"image", "ls", "-p", "minikube", "--format", "short"}, 0, "\n")
	// A profile's saved config (what `profile list` reads back), for record.sh to run the real binary on.
	if len(os.Args) > 2 {
		cc := clusterConfig("minikube", []string{"127.0.0.1:30000:30000", "127.0.0.1:30001:30001"}, config.Node{IP: "192.168.49.2", Port: 8443, ControlPlane: true, Worker: true})
		if err := config.SaveProfile("minikube", cc, os.Args[2]); err != nil {
			panic(err)
		}
	}
	fmt.Println("derived fixtures written to", outDir)
}

using System.Net.Http.Headers;
using k8s;

namespace AgentOps.Testing.Kube;

/// <summary>
/// A real Kubernetes v1.28 control plane on loopback, the way controller-runtime's envtest starts one: etcd,
/// kube-apiserver (RBAC, a token file with an admin, OwnerReferencesPermissionEnforcement on) and
/// kube-controller-manager (garbage collector, Deployment/ReplicaSet/StatefulSet controllers, service
/// accounts). Binaries come from <c>$KUBEBUILDER_ASSETS</c>, else the checkout's <c>.k8s-assets/</c> that
/// <c>make deps</c> unpacks from ../shared/k8s. There is no kubelet and no scheduler: pods stay Pending until a
/// test patches their status (<see cref="PodReadiness"/>). One control plane serves a whole test process
/// (<see cref="SharedAsync"/>): starting one takes 5-30 s here.
/// </summary>
public sealed class KubeControlPlane : IAsyncDisposable
{
    public const string AdminToken = "agentops-admin-token";
    private static readonly object SharedGate = new();
    private static Task<KubeControlPlane>? _shared;

    private readonly TempDirectory _dir;
    private readonly List<ExternalProcess> _processes = [];

    private KubeControlPlane(TempDirectory dir, string assets)
    {
        _dir = dir;
        Assets = assets;
    }

    /// <summary>
    /// The control plane of this test process, started on first use and stopped when the process exits. The first
    /// caller's <paramref name="beforeControllers"/> (installing CRDs) runs before the controller-manager starts, so its
    /// garbage collector knows the custom kinds at once instead of at its next 30 s discovery resync.
    /// </summary>
    public static Task<KubeControlPlane> SharedAsync(Func<IKubernetes, Task>? beforeControllers = null)
    {
        lock (SharedGate) return _shared ??= StartAsync(beforeControllers);
    }

    public string Assets { get; }
    public Uri Url { get; private set; } = null!;
    public string CaFile => Path.Combine(_dir.Path, "ca.crt");
    /// <summary>A kubeconfig file for the admin (system:masters), like the one envtest writes.</summary>
    public string AdminKubeconfig => Path.Combine(_dir.Path, "admin.kubeconfig");
    public string Version { get; private set; } = "";

    /// <summary>How long the API server took to answer /readyz with "ok" (start-up cost of a test run).</summary>
    public TimeSpan StartTime { get; private set; }

    /// <summary>The folder holding etcd, kube-apiserver and kube-controller-manager, or an error that says how to get one.</summary>
    public static string FindAssets()
    {
        var fromEnv = Environment.GetEnvironmentVariable("KUBEBUILDER_ASSETS");
        var dir = !string.IsNullOrEmpty(fromEnv) ? fromEnv : Path.Combine(RepoRoot(), ".k8s-assets");
        var missing = new[] { "etcd", "kube-apiserver", "kube-controller-manager" }.Where(b => !File.Exists(Path.Combine(dir, b))).ToList();
        if (missing.Count > 0)
            throw new InvalidOperationException(
                $"no Kubernetes control plane: {string.Join(", ", missing)} missing in {dir} " +
                $"({(string.IsNullOrEmpty(fromEnv) ? "KUBEBUILDER_ASSETS is unset, so the checkout's .k8s-assets/ was used" : "from KUBEBUILDER_ASSETS")}). " +
                "Run `make deps` (it unpacks ../shared/k8s/*.xz and links Debian's etcd), or point KUBEBUILDER_ASSETS at a folder with all three.");
        return dir;
    }

    private static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "AgentOps.sln"))) return d.FullName;
        throw new DirectoryNotFoundException($"AgentOps.sln not found above {AppContext.BaseDirectory}");
    }

    public static async Task<KubeControlPlane> StartAsync(Func<IKubernetes, Task>? beforeControllers = null)
    {
        var plane = new KubeControlPlane(new TempDirectory("agentops-k8s"), FindAssets());
        AppDomain.CurrentDomain.ProcessExit += (_, _) => plane.Stop();
        try { await plane.StartProcessesAsync(beforeControllers); }
        catch { plane.Stop(); throw; }
        return plane;
    }

    private async Task StartProcessesAsync(Func<IKubernetes, Task>? beforeControllers)
    {
        var started = DateTime.UtcNow;
        var d = _dir.Path;
        ControlPlaneCertificates.Write(d);
        File.WriteAllText(Path.Combine(d, "tokens.csv"), $"{AdminToken},admin,admin-uid,system:masters\n");

        int etcdPort = LoopbackPort.Next(), peerPort = LoopbackPort.Next(), apiPort = LoopbackPort.Next(), kcmPort = LoopbackPort.Next();
        Start("etcd", "--data-dir", Path.Combine(d, "etcd"), "--name", "agentops",
            "--listen-client-urls", $"http://127.0.0.1:{etcdPort}", "--advertise-client-urls", $"http://127.0.0.1:{etcdPort}",
            "--listen-peer-urls", $"http://127.0.0.1:{peerPort}", "--initial-advertise-peer-urls", $"http://127.0.0.1:{peerPort}",
            "--initial-cluster", $"agentops=http://127.0.0.1:{peerPort}", "--unsafe-no-fsync");
        Url = new Uri($"https://127.0.0.1:{apiPort}");
        Start("kube-apiserver", "--bind-address=127.0.0.1", $"--secure-port={apiPort}", "--advertise-address=127.0.0.1",
            $"--etcd-servers=http://127.0.0.1:{etcdPort}",
            $"--tls-cert-file={d}/apiserver.crt", $"--tls-private-key-file={d}/apiserver.key", $"--client-ca-file={d}/ca.crt",
            "--service-account-issuer=https://kubernetes.default.svc", $"--service-account-key-file={d}/sa.pub",
            $"--service-account-signing-key-file={d}/sa.key", $"--token-auth-file={d}/tokens.csv",
            "--authorization-mode=RBAC", "--allow-privileged=true",
            // Three Services per run: a /24 is full after 84 runs ("failed to allocate a serviceIP: range is full").
            "--service-cluster-ip-range=10.0.0.0/16",
            // The chart's RBAC must hold where clusters enforce who may set blockOwnerDeletion (issue 20, bug 8).
            "--enable-admission-plugins=OwnerReferencesPermissionEnforcement",
            "--disable-admission-plugins=ServiceAccount", "--endpoint-reconciler-type=none", "--enable-priority-and-fairness=false");
        await WaitReadyAsync(TimeSpan.FromSeconds(120));
        StartTime = DateTime.UtcNow - started;
        File.WriteAllText(AdminKubeconfig, Kubeconfig(AdminToken, "default"));
        if (beforeControllers is not null)
        {
            using var api = Admin();
            await beforeControllers(api);
        }
        Start("kube-controller-manager", $"--kubeconfig={AdminKubeconfig}", "--bind-address=127.0.0.1", $"--secure-port={kcmPort}",
            "--leader-elect=false", "--use-service-account-credentials=false", $"--service-account-private-key-file={d}/sa.key",
            $"--root-ca-file={d}/ca.crt", "--controllers=*,-nodeipam,-nodelifecycle,-ttl,-bootstrapsigner,-tokencleaner,-serviceaccount-token",
            "--concurrent-deployment-syncs=5", "--concurrent-replicaset-syncs=5", "--concurrent-gc-syncs=20",
            // client-go's default 20 qps would make 1,000 runs' pods at 20 a second (the operator bench).
            "--kube-api-qps=300", "--kube-api-burst=600");
        using var admin = Admin();
        Version = (await admin.Version.GetCodeAsync()).GitVersion;
    }

    /// <summary>A kubeconfig with this bearer token, trusting the control plane's CA.</summary>
    public string Kubeconfig(string token, string ns) => $"""
        apiVersion: v1
        kind: Config
        current-context: envtest
        clusters: [{"{"} name: envtest, cluster: {"{"} server: "{Url}", certificate-authority: "{CaFile}" {"}"} {"}"}]
        contexts: [{"{"} name: envtest, context: {"{"} cluster: envtest, user: user, namespace: {ns} {"}"} {"}"}]
        users: [{"{"} name: user, user: {"{"} token: "{token}" {"}"} {"}"}]
        """;

    /// <summary>A client configuration with this bearer token (the admin's by default).</summary>
    public KubernetesClientConfiguration Config(string token = AdminToken, string ns = "default")
    {
        var path = Path.Combine(_dir.Path, $"kubeconfig-{Guid.NewGuid():N}");
        File.WriteAllText(path, Kubeconfig(token, ns));
        try { return KubernetesClientConfiguration.BuildConfigFromConfigFile(path); }
        finally { File.Delete(path); }
    }

    public Kubernetes Admin() => new(Config());

    private void Start(string binary, params string[] args)
    {
        // A watchdog shell ends the server when this test process dies without disposing it (a killed test host).
        var pid = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var script = "\"$@\" & c=$!; while kill -0 " + pid + " 2>/dev/null && kill -0 $c 2>/dev/null; do sleep 1; done; kill $c 2>/dev/null; wait $c";
        _processes.Add(ExternalProcess.Start("bash", ["-c", script, binary, Path.Combine(Assets, binary), .. args], _dir.Path));
    }

    private async Task WaitReadyAsync(TimeSpan timeout)
    {
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(5) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        var deadline = DateTime.UtcNow + timeout;
        var last = "";
        while (DateTime.UtcNow < deadline)
        {
            foreach (var p in _processes)
                if (p.HasExited) throw new InvalidOperationException($"a control-plane process exited while starting:\n{p.OutputTail}");
            try
            {
                using var response = await http.GetAsync(new Uri(Url, "/readyz"));
                last = await response.Content.ReadAsStringAsync();
                if (last == "ok") return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { last = e.Message; }
            await Task.Delay(250);
        }
        throw new TimeoutException($"kube-apiserver not ready in {timeout.TotalSeconds:0} s (last: {last}):\n{_processes[^1].OutputTail}");
    }

    /// <summary>Resident memory of the control plane's processes (etcd, kube-apiserver, kube-controller-manager), from /proc.</summary>
    public long ResidentBytes()
    {
        var parents = new Dictionary<int, int>();
        foreach (var dir in Directory.GetDirectories("/proc"))
            if (int.TryParse(Path.GetFileName(dir), out var pid))
                try
                {
                    var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                    parents[pid] = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
                }
                catch (IOException) { }
        var roots = _processes.Select(p => p.Id).ToHashSet();
        long total = 0;
        foreach (var (pid, _) in parents)
        {
            var p = pid;
            var depth = 0;
            while (p > 1 && !roots.Contains(p) && depth++ < 8) p = parents.GetValueOrDefault(p);
            if (!roots.Contains(p)) continue;
            try
            {
                var rss = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
                if (rss is not null) total += long.Parse(rss.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
            catch (IOException) { }
        }
        return total;
    }

    /// <summary>The last lines of each process's output (for a failing test's message).</summary>
    public string Logs() => string.Join("\n---\n", _processes.Select(p => p.OutputTail));

    private void Stop()
    {
        for (var i = _processes.Count - 1; i >= 0; i--) _processes[i].Dispose();
        _processes.Clear();
        _dir.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        Stop();
        return ValueTask.CompletedTask;
    }
}

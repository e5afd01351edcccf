using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Runner.Training.Engine;

/// <summary>
/// Keeps 1×1 convolutions away from a oneDNN heuristic that divides by zero on some CPUs.
/// <para>
/// The cause (issue 23, seen on an AMD EPYC VM): LibTorch 2.10's oneDNN 3.7 picks the blocking of a 1×1 convolution
/// (<c>brgemm_convolution_utils::brg_blocking_t::est_eff_1x1</c>) with an integer division by the number of row blocks
/// it estimated, and on a CPU whose CPUID reports no cache topology (leaves 4 and 0x8000001D empty, as this VM's are;
/// <c>lscpu</c> lists no caches) that count comes out zero for some shapes: the process dies of SIGFPE. ResNet-50's
/// 512→1024 and 1024→2048 projections hit it at every batch size above 1; ResNet-18's and MobileNetV2's 1×1 layers
/// happen not to. The path is reached only by 1×1 convolutions, for every ISA from AVX2 up (ONEDNN_MAX_CPU_ISA=AVX
/// avoids it by giving up every newer kernel). Debian's PyTorch 1.13 (oneDNN 2.6) has no such division.
/// </para>
/// <para>
/// The zoo's networks no longer reach that path: their 1×1 convolutions are matrix products
/// (<see cref="Models.PointwiseConvolutions"/>), so they keep oneDNN on every CPU. A TorchScript program's convolutions
/// cannot be rerouted, so on such a CPU a process that builds a program with a 1×1 convolution turns LibTorch's oneDNN
/// convolutions off (<c>torch.backends.mkldnn.enabled = False</c> in PyTorch) and LibTorch's own im2col + GEMM kernels
/// run them (capping the ISA instead would slow every network, for the whole process: docs/benchmarks.md). A trial's
/// process runs one trial at a time (<see cref="OneTrialAtATime"/>), so the setting follows each network there;
/// elsewhere (tests, several trials on threads of one process) it only ever turns off, which is safe for every thread.
/// RUNNER_ONEDNN_GUARD=on applies the guard on any CPU, =off never.
/// </para>
/// </summary>
public static class OneDnnGuard
{
    static readonly object Gate = new();
    static bool _off;

    /// <summary>Set by a process that runs one trial at a time, so a network without 1×1 convolutions may have oneDNN back.</summary>
    public static bool OneTrialAtATime { get; set; }

    /// <summary>Whether this process guards 1×1 convolutions: RUNNER_ONEDNN_GUARD, else whether the CPU hides its caches.</summary>
    public static bool Needed { get; } = Environment.GetEnvironmentVariable("RUNNER_ONEDNN_GUARD") switch
    {
        "on" => true,
        "off" => false,
        _ => HidesCacheTopology(),
    };

    /// <summary>Whether oneDNN convolutions are off in this process now (for the trial's log).</summary>
    public static bool Engaged
    {
        get { lock (Gate) return _off; }
    }

    /// <summary>Sets oneDNN convolutions for a network about to train (called when it is built).</summary>
    /// <param name="pointwise">whether the network runs 1×1 convolutions through LibTorch's convolution (see <see cref="HasPointwiseWeights"/>)</param>
    public static void Prepare(bool pointwise)
    {
        QuietNnpack();
        if (!Needed) return;
        lock (Gate)
        {
            bool off = pointwise || (_off && !OneTrialAtATime);
            if (off == _off) return;
            Mkldnn(enabled: !off);
            _off = off;
        }
    }

    /// <summary>Whether a network has 1×1 convolution weights, found by shape: a TorchScript program's convolutions are not Conv2d modules here.</summary>
    public static bool HasPointwiseWeights(nn.Module network) =>
        network.parameters().Any(w => w.dim() == 4 && w.shape[2] == 1 && w.shape[3] == 1);

    /// <summary>x86-64 CPUs describe their caches in CPUID leaf 4 (Intel) or 0x8000001D (AMD); a VM may leave both empty.</summary>
    static bool HidesCacheTopology()
    {
        if (!X86Base.IsSupported) return false;
        static bool Describes(int leaf) => (X86Base.CpuId(leaf, 0).Eax & 0x1F) != 0; // cache type of sub-leaf 0; 0 = none
        int maxStandard = X86Base.CpuId(0, 0).Eax;
        int maxExtended = X86Base.CpuId(unchecked((int)0x80000000), 0).Eax;
        return !(maxStandard >= 4 && Describes(4)) && !((uint)maxExtended >= 0x8000001D && Describes(unchecked((int)0x8000001D)));
    }

    static void Mkldnn(bool enabled)
    {
        TorchRuntime.EnsureLoaded();
        SetUserEnabledMkldnn(GlobalContext(), enabled);
    }

    static bool _nnpackDecided;

    /// <summary>
    /// NNPACK cannot start on a CPU that hides its caches ("Could not initialize NNPACK! Reason: Unsupported
    /// hardware"): LibTorch then logs that from each thread that tries it (thousands of lines a trial without oneDNN,
    /// two a trial with it) and falls back to its own kernels, so results are the same with it off. Off there, once
    /// per process, before the first network runs; asking LibTorch whether NNPACK is available would itself log it.
    /// </summary>
    static void QuietNnpack()
    {
        lock (Gate)
        {
            if (_nnpackDecided) return;
            _nnpackDecided = true;
            if (!HidesCacheTopology()) return;
            TorchRuntime.EnsureLoaded();
            SetUserEnabledNnpack(GlobalContext(), false);
        }
    }

    // TorchSharp 0.107 has no binding for torch.backends.mkldnn.enabled; these are LibTorch's own exported C++ functions
    // (at::globalContext() and at::Context::setUserEnabledMkldnn(bool), whose first argument is `this`).
    [DllImport("libtorch_cpu.so", EntryPoint = "_ZN2at13globalContextEv")]
    static extern IntPtr GlobalContext();

    [DllImport("libtorch_cpu.so", EntryPoint = "_ZN2at7Context20setUserEnabledMkldnnEb")]
    static extern void SetUserEnabledMkldnn(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [DllImport("libtorch_cpu.so", EntryPoint = "_ZN2at7Context20setUserEnabledNNPACKEb")]
    static extern void SetUserEnabledNnpack(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

}

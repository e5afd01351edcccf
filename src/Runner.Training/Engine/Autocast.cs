using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Runner.Training.Engine;

/// <summary>
/// Mixed precision as <c>torch.autocast(device, dtype)</c> gives it: inside the scope, LibTorch runs the operations of
/// its lower-precision list (convolutions, linear layers, matrix products) in bfloat16 (or float16) and those of its
/// float32 list (losses, softmax, reductions) in float32, with the weights kept in float32. TorchSharp 0.107 has no
/// autocast, so this calls LibTorch's own switches (<c>at::autocast</c>, what Python's torch.autocast calls too),
/// which are thread-local: a scope covers the forward pass and the loss on the training thread; backward runs
/// outside, as PyTorch's documentation asks.
/// </summary>
public sealed class Autocast : IDisposable
{
    public const string Float32 = "fp32", BFloat16 = "bf16", Float16 = "fp16";
    public static readonly string[] Precisions = { Float32, BFloat16, Float16 };

    readonly sbyte _device;
    readonly bool _wasEnabled, _wasCaching;
    readonly sbyte _wasDtype;

    Autocast(sbyte device, sbyte dtype)
    {
        _device = device;
        (_wasEnabled, _wasDtype, _wasCaching) = (IsEnabled(device), GetDtype(device), IsCacheEnabled());
        SetEnabled(device, true);
        SetDtype(device, dtype);
        IncrementNesting();
        SetCacheEnabled(true);
    }

    /// <summary>A scope for <paramref name="precision"/> on <paramref name="device"/>; null (nothing to do) for fp32.</summary>
    public static Autocast? Enter(string? precision, Device device) => precision switch
    {
        null or Float32 => null,
        BFloat16 => new Autocast(DeviceOf(device), (sbyte)ScalarType.BFloat16),
        Float16 when device.type == DeviceType.CUDA => new Autocast(DeviceOf(device), (sbyte)ScalarType.Float16),
        Float16 => throw new ArgumentException("precision fp16 needs a CUDA device (use bf16 on a CPU)"),
        _ => throw new ArgumentException($"unknown precision '{precision}'"),
    };

    static sbyte DeviceOf(Device device) => device.type == DeviceType.CUDA ? (sbyte)1 : (sbyte)0;   // c10::DeviceType::CPU = 0, CUDA = 1

    public void Dispose()
    {
        // As torch.autocast's __exit__: the cache of cast weights lives until the outermost scope ends.
        if (DecrementNesting() == 0) ClearCache();
        SetEnabled(_device, _wasEnabled);
        SetDtype(_device, _wasDtype);
        SetCacheEnabled(_wasCaching);
    }

    const string Torch = "libtorch_cpu.so";
    [DllImport(Torch, EntryPoint = "_ZN2at8autocast20set_autocast_enabledEN3c1010DeviceTypeEb")]
    static extern void SetEnabled(sbyte device, [MarshalAs(UnmanagedType.U1)] bool enabled);
    [DllImport(Torch, EntryPoint = "_ZN2at8autocast19is_autocast_enabledEN3c1010DeviceTypeE")]
    [return: MarshalAs(UnmanagedType.U1)] static extern bool IsEnabled(sbyte device);
    [DllImport(Torch, EntryPoint = "_ZN2at8autocast18set_autocast_dtypeEN3c1010DeviceTypeENS1_10ScalarTypeE")]
    static extern void SetDtype(sbyte device, sbyte dtype);
    [DllImport(Torch, EntryPoint = "_ZN2at8autocast18get_autocast_dtypeEN3c1010DeviceTypeE")]
    static extern sbyte GetDtype(sbyte device);
    [DllImport(Torch, EntryPoint = "_ZN2at8autocast17increment_nestingEv")]
    static extern int IncrementNesting();
    [DllImport(Torch, EntryPoint = "_ZN2at8autocast17decrement_nestingEv")]
    static extern int DecrementNesting();
    [DllImport(Torch, EntryPoint = "_ZN2at8autocast11clear_cacheEv")]
    static extern void ClearCache();
    [DllImport(Torch, EntryPoint = "_ZN2at8autocast25is_autocast_cache_enabledEv")]
    [return: MarshalAs(UnmanagedType.U1)] static extern bool IsCacheEnabled();
    [DllImport(Torch, EntryPoint = "_ZN2at8autocast26set_autocast_cache_enabledEb")]
    static extern void SetCacheEnabled([MarshalAs(UnmanagedType.U1)] bool enabled);
}

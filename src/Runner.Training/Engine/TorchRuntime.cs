using Runner.Sweeps;
using TorchSharp;
using static TorchSharp.torch;

namespace Runner.Training.Engine;

/// <summary>Loads the native library with a clear message when it cannot, picks devices and sets thread counts.</summary>
public static class TorchRuntime
{
    static readonly object Gate = new();
    static bool _loaded;

    /// <summary>Makes sure LibTorch is loaded; throws <see cref="TorchUnavailableException"/> with advice otherwise.</summary>
    public static void EnsureLoaded()
    {
        lock (Gate)
        {
            if (_loaded) return;
            NativeHeap.KeepFreedBlocks();
            try
            {
                using var probe = ones(1);
                _loaded = true;
            }
            catch (Exception e) when (e is TypeInitializationException or NotSupportedException or DllNotFoundException)
            {
                throw new TorchUnavailableException(
                    "TorchSharp's native library did not load. On Debian 12 / Ubuntu 22.04 the build patches " +
                    "libLibTorchSharp.so for the system libstdc++ (see build/TorchSharpNativeFix.targets): rebuild with " +
                    $"`dotnet build`, and run the built program, not a copy made elsewhere. Details: {Innermost(e).Message}");
            }
        }
    }

    /// <summary>auto (CUDA when available), cpu, cuda, cuda:N.</summary>
    public static Device ResolveDevice(string name)
    {
        EnsureLoaded();
        if (SweepRules.Device(name) is { } problem) throw new ArgumentException(problem);
        if (name == "auto") return cuda.is_available() ? CUDA : CPU;
        if (name == "cpu") return CPU;
        if (!cuda.is_available())
            throw new TorchUnavailableException($"device {name} was asked for, but CUDA is not available here (this build uses TorchSharp-{(IsCudaBuild ? "cuda" : "cpu")}; GPU machines build with -p:TorchBackend=cuda)");
        int index = name == "cuda" ? 0 : int.Parse(name.AsSpan(5));
        if (index >= cuda.device_count()) throw new TorchUnavailableException($"device {name} does not exist: {cuda.device_count()} CUDA device(s)");
        return new Device(DeviceType.CUDA, index);
    }

    static bool IsCudaBuild => AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name?.Contains("cuda", StringComparison.OrdinalIgnoreCase) == true);

    /// <summary>Sets torch's intra-op thread count (0 = all cores). Returns the count in force.</summary>
    public static int SetThreads(int threads)
    {
        EnsureLoaded();
        int n = threads > 0 ? threads : Environment.ProcessorCount;
        if (get_num_threads() != n) set_num_threads(n);
        return n;
    }

    public static string Describe(Device device) => device.type == DeviceType.CUDA ? $"cuda:{device.index}" : "cpu";

    static Exception Innermost(Exception e) => e.InnerException == null ? e : Innermost(e.InnerException);
}

public sealed class TorchUnavailableException(string message) : Exception(message);

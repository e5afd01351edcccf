using System.Runtime.InteropServices;

namespace Runner.Training.Engine;

/// <summary>
/// Keeps the native heap's freed blocks for reuse instead of handing them back to the kernel. LibTorch allocates a
/// training step's activations and gradients with malloc (megabytes each, freed at the end of the step); glibc served
/// blocks that size with fresh mmaps or trimmed them off the heap on free, so every step paid page faults and the
/// kernel's zeroing of the pages again: 27% of a one-thread convnet4 step (perf), ~1.35× its speed when kept
/// (docs/benchmarks.md). The price is a plateau: a long run's resident memory stays flat, ~240 MB higher than when
/// the blocks went back (runner-bench memory). Debian's PyTorch gained nothing measurable from the same settings (its
/// process was not losing them), so this is a difference of hosts, not of kernels.
/// </summary>
static class NativeHeap
{
    const int M_TRIM_THRESHOLD = -1, M_MMAP_THRESHOLD = -3;

    /// <summary>glibc's largest mmap threshold on 64-bit (a bigger block, such as a cached feature set, is still mapped on its own).</summary>
    const int MmapThreshold = 32 << 20;

    /// <summary>Free memory at the top of a heap is given back only past this much.</summary>
    const int TrimThreshold = 512 << 20;

    [DllImport("libc.so.6", EntryPoint = "mallopt")]
    static extern int mallopt(int param, int value);

    /// <summary>Sets glibc's thresholds once per process; elsewhere (other C libraries, other systems) it does nothing.</summary>
    public static void KeepFreedBlocks()
    {
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            mallopt(M_MMAP_THRESHOLD, MmapThreshold);
            mallopt(M_TRIM_THRESHOLD, TrimThreshold);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc (musl, for one): its allocator keeps its own policy.
        }
    }
}

using System.Diagnostics;
using Runner.Training.Engine;
using static TorchSharp.torch;

namespace Runner.Training.Tests;

public class NativeLibraryTests
{
    [Fact]
    public void TorchSharp_loads_and_runs_a_tensor_operation()
    {
        TorchRuntime.EnsureLoaded();
        using var a = tensor(new float[] { 1, 2, 3 });
        using var b = a.mul(2).sum();
        Assert.Equal(12f, b.item<float>());
        Assert.Equal("cpu", TorchRuntime.Describe(TorchRuntime.ResolveDevice("cpu")));
    }

    static string OriginalLibrary()
    {
        string root = System.Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                      ?? Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        return Path.Combine(root, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
    }

    static string ReadElfVersions(string path)
    {
        var p = Process.Start(new ProcessStartInfo("readelf", $"-V \"{path}\"") { RedirectStandardOutput = true })!;
        string text = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return text;
    }

    [Fact]
    public void The_build_patch_renames_only_the_GLIBCXX_3_4_32_requirement_and_is_idempotent()
    {
        string copy = Path.Combine(ScratchFolders.New("elf"), "libLibTorchSharp.so");
        File.Copy(OriginalLibrary(), copy);
        Assert.Contains("GLIBCXX_3.4.32", ReadElfVersions(copy));

        Assert.Equal(1, LibStdCxxVersionPatch.Patch(copy, "GLIBCXX_3.4.32", "GLIBCXX_3.4.30"));
        string after = ReadElfVersions(copy);
        Assert.DoesNotContain("GLIBCXX_3.4.32", after);
        Assert.Contains("GLIBCXX_3.4.30", after);
        Assert.Equal(0, LibStdCxxVersionPatch.Patch(copy, "GLIBCXX_3.4.32", "GLIBCXX_3.4.30"));
        // The NuGet cache itself is never touched.
        Assert.Contains("GLIBCXX_3.4.32", ReadElfVersions(OriginalLibrary()));
        // The loader compares vna_hash before the name; the library next to these tests loading (test above) shows
        // the hash is right. Here, the System V hash of a well-known name as a fixed point.
        Assert.Equal(0x077905a6u, LibStdCxxVersionPatch.ElfHash("printf"));
    }

    [Fact]
    public void The_library_next_to_the_tests_is_patched_exactly_when_the_system_libstdcxx_needs_it()
    {
        string? system = LibStdCxxVersionPatch.FindSystemLibStdCxx();
        Assert.NotNull(system);
        string output = Directory.GetFiles(AppContext.BaseDirectory, "libLibTorchSharp.so", SearchOption.AllDirectories).Single();
        bool systemHas32 = LibStdCxxVersionPatch.FileContains(system!, "GLIBCXX_3.4.32");
        // Version requirements as the loader sees them (the symbol table may still mention the old name).
        Assert.Equal(systemHas32, ReadElfVersions(output).Contains("GLIBCXX_3.4.32"));
    }
}

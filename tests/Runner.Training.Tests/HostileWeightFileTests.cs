using System.Text;
using Runner.Training.Engine;
using Runner.Training.Models;

namespace Runner.Training.Tests;

/// <summary>Weight files someone else made: refused with a clear reason, and nothing in them runs.</summary>
[Collection("torch")]
public class HostileWeightFileTests
{
    [Fact]
    public void A_pt_file_whose_pickle_would_run_a_command_is_refused_and_runs_nothing()
    {
        TorchRuntime.EnsureLoaded();
        string folder = ScratchFolders.New("hostile-pickle");
        string file = Path.Combine(folder, "evil.pt"), witness = Path.Combine(folder, "pwned");
        // Debian's PyTorch writes a real state_dict with one extra entry whose unpickling calls os.system.
        PythonScripts.Run(TestData.RepoRoot, "-c", $$"""
            import os, torch
            class Evil:
                def __reduce__(self):
                    return (os.system, ("touch {{witness}}",))
            state = torch.nn.Linear(2, 2).state_dict()
            state["evil"] = Evil()
            torch.save(state, "{{file}}")
            """);
        var e = Assert.Throws<WeightFileException>(() => WeightFiles.Load(ModelZoo.Create("convnet4", 5), file));
        Assert.Contains("refused: its pickle asks to build 'posix.system'", e.Message);
        Assert.False(File.Exists(witness));
    }

    [Fact]
    public void A_safetensors_header_that_claims_more_bytes_than_the_file_has_is_refused()
    {
        TorchRuntime.EnsureLoaded();
        string file = Path.Combine(ScratchFolders.New("hostile-safetensors"), "lies.safetensors");
        byte[] header = Encoding.UTF8.GetBytes("""{"fc.weight":{"dtype":"F32","shape":[1000000],"data_offsets":[0,4000000]}}""");
        using (var stream = File.Create(file))
        {
            stream.Write(BitConverter.GetBytes((ulong)header.Length));
            stream.Write(header);
            stream.Write(new byte[16]);
        }
        var e = Assert.Throws<WeightFileException>(() => WeightFiles.Load(ModelZoo.Create("convnet4", 5), file));
        Assert.Contains("cannot read it as a .safetensors weight file", e.Message);
    }
}

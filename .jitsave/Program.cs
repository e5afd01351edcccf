using System;
using static TorchSharp.torch;
Runner.Training.Engine.TorchRuntime.EnsureLoaded();
var m = jit.load<Tensor, Tensor>(args[0]);
foreach (var (n, p) in m.named_parameters()) { using (no_grad()) p.add_(1.0f); Console.WriteLine(n); }
jit.save(m, args[1]);

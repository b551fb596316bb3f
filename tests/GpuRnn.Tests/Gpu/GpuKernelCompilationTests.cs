using System.Reflection;
using GpuRnn.Gpu;
using GpuRnn.Gpu.Kernels;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Backends;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.OpenCL;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;
using Xunit;

namespace GpuRnn.Tests.Gpu;

/// <summary>
/// Every kernel compiled, without a GPU, by ILGPU's own PTX and OpenCL C code generators, the
/// ones a CUDA or OpenCL device would run. CI has no GPU, so this is where a kernel that only a
/// GPU backend rejects, an approximate tanh, or a warp shuffle (which ILGPU cannot emit for most
/// OpenCL runtimes) is caught.
/// </summary>
public class GpuKernelCompilationTests
{
    [Fact]
    public void EveryKernelCompilesToPtxForHopperWithoutApproximateTanhOrShuffles()
    {
        using var context = Context.Create(b => b.CPU(CPUDeviceKind.Nvidia).EnableAlgorithms());
        var backend = new PTXBackend(context, new CudaCapabilityContext(CudaArchitecture.SM_90), CudaArchitecture.SM_90, CudaInstructionSet.ISA_78, null);
        // GPURNN_DUMP_PTX=folder keeps each kernel's PTX, for ptxas -v's register and spill report on a GPU machine.
        var dump = Environment.GetEnvironmentVariable("GPURNN_DUMP_PTX");
        if (!string.IsNullOrEmpty(dump)) Directory.CreateDirectory(dump);
        foreach (var kernel in Kernels())
        {
            var ptx = ((PTXCompiledKernel)Compile(backend, kernel)).PTXAssembly;
            if (!string.IsNullOrEmpty(dump))
                File.WriteAllText(Path.Combine(dump, FileName(kernel) + ".ptx"), ptx);
            Assert.False(ptx.Contains("tanh.approx", StringComparison.Ordinal), $"{Name(kernel)} uses PTX tanh.approx (relative error near 1e-3)");
            Assert.False(ptx.Contains("shfl.", StringComparison.Ordinal), $"{Name(kernel)} uses a warp shuffle");
        }
    }

    [Fact]
    public void EveryKernelCompilesToOpenClCWithoutSubgroupShuffles()
    {
        using var context = Context.Create(b => b.CPU(CPUDeviceKind.Nvidia).EnableAlgorithms());
        // OpenCL C 2.0 with the generic address space and float64, no sub-groups: what PoCL offers.
        var capabilities = new CLCapabilityContext(false, true, true, false, false);
        var backend = new CLBackend(context, capabilities, CLDeviceVendor.Other, CLCVersion.CL20);
        // GPURNN_DUMP_OPENCL=folder keeps each kernel's OpenCL C, to read what ILGPU generated.
        var dump = Environment.GetEnvironmentVariable("GPURNN_DUMP_OPENCL");
        if (!string.IsNullOrEmpty(dump)) Directory.CreateDirectory(dump);
        foreach (var kernel in Kernels())
        {
            var source = ((CLCompiledKernel)Compile(backend, kernel)).Source;
            if (!string.IsNullOrEmpty(dump)) File.WriteAllText(Path.Combine(dump, FileName(kernel) + ".cl"), source);
            Assert.False(source.Contains("sub_group", StringComparison.Ordinal), $"{Name(kernel)} uses sub-group operations");
            // ILGPU keeps a group's dynamic shared memory in a program-scope pointer that concurrent groups share, so
            // only the instantiations the opencl backend never launches (CUDA's dynamic tiles) may use it.
            if (!kernel.GetGenericArguments().Contains(typeof(DynamicTile)))
                Assert.False(source.Contains("dynamic_shared_memory", StringComparison.Ordinal), $"{Name(kernel)} uses dynamic shared memory");
        }
    }

    [Fact]
    public void TheCatalogueHoldsEveryCellOfEveryPass()
    {
        var names = Kernels().Select(Name).ToList();
        foreach (var cell in new[] { nameof(LstmForwardCell), nameof(LstmProjectionCell), nameof(GruResetAfterCell), nameof(GruResetGateCell), nameof(GruCandidateCell), nameof(RnnForwardCell) })
            Assert.Contains($"{nameof(RecurrentStep)}.{nameof(RecurrentStep.Forward)}<{cell}>", names);
        foreach (var cell in new[] { nameof(LstmBackwardCell), nameof(ProjectedStateGradientCell), nameof(InitialStateGradientCell), nameof(GruResetAfterBackwardCell), nameof(GruUpdateBackwardCell), nameof(GruResetBackwardCell), nameof(RnnBackwardCell) })
            Assert.Contains($"{nameof(RecurrentStep)}.{nameof(RecurrentStep.Backward)}<{cell}>", names);
        foreach (var tile in new[] { nameof(DynamicTile), nameof(StaticTileSmall), nameof(StaticTileMedium), nameof(StaticTileLarge) })
        {
            Assert.Contains($"{nameof(PersistentRnn)}.{nameof(PersistentRnn.Forward)}<{nameof(LstmForwardCell)}, {tile}>", names);
            Assert.Contains($"{nameof(PersistentRnn)}.{nameof(PersistentRnn.Backward)}<{nameof(LstmBackwardCell)}, {tile}>", names);
        }
        Assert.Contains($"{nameof(Gemm)}.{nameof(Gemm.Tiled)}", names);
    }

    /// <summary>
    /// Every [Kernel] method of the backend and of the tests' probes (<see cref="ActivationProbe"/>), generic ones
    /// instantiated with every cell their constraint admits.
    /// </summary>
    private static IEnumerable<MethodInfo> Kernels()
    {
        var types = typeof(GpuBackend).Assembly.GetTypes().Concat(typeof(ActivationProbe).Assembly.GetTypes()).ToArray();
        foreach (var method in types.SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)))
        {
            if (method.GetCustomAttribute<KernelAttribute>() is null) continue;
            if (!method.IsGenericMethodDefinition)
            {
                yield return method;
                continue;
            }
            // Every combination of the value types each type parameter's interface admits (cell, shared tile).
            IEnumerable<Type[]> combinations = [[]];
            foreach (var parameter in method.GetGenericArguments())
            {
                var constraint = parameter.GetGenericParameterConstraints().Single(c => c.IsInterface);
                var admitted = types.Where(t => t.IsValueType && constraint.IsAssignableFrom(t)).ToList();
                combinations = combinations.SelectMany(c => admitted.Select(t => (Type[])[.. c, t])).ToList();
            }
            foreach (var arguments in combinations) yield return method.MakeGenericMethod(arguments);
        }
    }

    private static CompiledKernel Compile(ILGPU.Backends.Backend backend, MethodInfo kernel)
    {
        try
        {
            return backend.Compile(EntryPointDescription.FromExplicitlyGroupedKernel(kernel), KernelSpecialization.Empty);
        }
        catch (Exception e)
        {
            Assert.Fail($"{Name(kernel)} does not compile for {backend.BackendType}: {e.GetType().Name}: {e.Message}");
            throw;
        }
    }

    private static string FileName(MethodInfo m) =>
        Name(m).Replace('<', '_').Replace(", ", "_", StringComparison.Ordinal).Replace(">", "", StringComparison.Ordinal);

    private static string Name(MethodInfo m) =>
        $"{m.DeclaringType!.Name}.{m.Name}" + (m.IsGenericMethod ? $"<{string.Join(", ", m.GetGenericArguments().Select(a => a.Name))}>" : "");
}

// SPDX-License-Identifier: Apache-2.0
// CUDA reduce kernels: the device twin of reduce::apply/divide (reduce.h), one template
// instantiated per (datatype, op) into a table of the same shape (Note [CUDA reduce kernels]).
// Usable from plain C++: no CUDA header is needed to call them. Built only with -Dcuda.
#pragma once

#include <cstddef>
#include <string>

#include "collectives/kernels/dtype.h"

namespace weft::coll::reduce::cuda {

// Note [CUDA reduce kernels]
// One kernel template per (datatype, op): a grid-stride loop over 16-byte vectors (uint4 loads
// and stores) where the three pointers are 16-byte aligned, then element by element for the
// rest, so any count and offset works. fp16/bf16 compute in fp32 and round to nearest even
// (CUDA's conversions), integers wrap (unsigned arithmetic), Max/Min propagate NaN whichever side
// it is on, Avg reduces as Sum and divide() finishes it, exactly as the CPU kernels do; NaN
// payloads may differ from theirs (CUDA returns its canonical NaN). dst may equal a and/or b.
// Everything is enqueued on the given stream and returns without waiting (stream order, as a
// NCCL call); the grid is sized from the device's SM count, looked up once per device.

// Whether this process can run CUDA work: the runtime finds a driver and at least one device.
// False, with the CUDA runtime's reason in *why, on machines without a GPU or driver.
bool available(std::string* why = nullptr);

// dst[i] = a[i] (op) b[i] for i < n, device (or managed) pointers, on `stream` (a cudaStream_t;
// nullptr: the legacy default stream). Throws InvalidArgument for an unknown op or datatype or a
// null pointer with n > 0, and weft::Error(UnhandledCudaError) when the launch fails.
void apply(ReduceOp op, DataType dt, void* dst, const void* a, const void* b, size_t n, void* stream);

// dst[i] = dst[i] / divisor on `stream`, the last step of Avg (as reduce::divide). divisor >= 1.
void divide(DataType dt, void* dst, size_t n, int divisor, void* stream);

}  // namespace weft::coll::reduce::cuda
